import base from './jest.config.js'

/**
 * The checks that draw job summaries in Chromium (scripts/render-summaries.mjs):
 * a suite of their own, run by `npm run test:browser` where Chromium is installed
 * (.ci/run installs it first), so `npm test` needs no browser.
 */
export default {
  ...base,
  testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
  testTimeout: 180000,
}
