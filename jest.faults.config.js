import base from './jest.config.js'

/** The seeded fault-injection runs: every action's main scenario, many seeds each. */
export default {
  ...base,
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  testTimeout: 600000,
}
