// How every bundle in dist/ is built (scripts/build.mjs), in a module of its own
// so that a test bundling a stand-in action builds it exactly the same way.
import { readFileSync } from 'node:fs'

/**
 * The AWS SDK's clients describe every shape of their service in one schemas
 * module, with trait objects keyed by computed names (`{ [_xN]: 'name' }`,
 * `_xN` a string constant of that module). A computed key may run code, so a
 * bundler keeps every shape, used or not (550 KB of EC2's). The constants are
 * plain string literals, so writing the key itself out means the same and lets
 * the bundle keep only the shapes of the commands imported.
 */
const inlineSchemaKeys = {
  name: 'inline-aws-sdk-schema-keys',
  setup(build) {
    build.onLoad(
      { filter: /[\\/]@aws-sdk[\\/].*[\\/]dist-es[\\/](.*[\\/])?schemas[\\/]schemas_\d+\.js$/ },
      ({ path }) => {
        const source = readFileSync(path, 'utf8')
        const strings = new Map(
          [...source.matchAll(/^const (_[\w$]+) = ("[^"\\\n]*");$/gm)].map(([, name, literal]) => [
            name,
            literal,
          ]),
        )
        const contents = source.replace(/\[(_[\w$]+)\]:/g, (key, name) =>
          strings.has(name) ? `${strings.get(name)}:` : key,
        )
        return { contents, loader: 'js' }
      },
    )
  },
}

/**
 * @actions/core imports @actions/http-client for getIDToken only, and that
 * loads undici (400 KB of CommonJS, evaluated on load) and tunnel: every
 * action would parse them at start-up without calling them. Loading the
 * client has no effect of its own that the actions rely on (undici installs
 * its agent as the dispatcher of Node's fetch, which none of them calls), so
 * it is marked free of side effects: a bundle keeps it only where its code is
 * used (pr-comment's @actions/github).
 */
const unusedHttpClient = {
  name: 'http-client-side-effect-free',
  setup(build) {
    build.onResolve(
      { filter: /^@actions\/http-client(\/|$)/ },
      async ({ path, kind, resolveDir, importer, pluginData }) => {
        if (pluginData === 'resolving') return undefined
        const result = await build.resolve(path, { kind, resolveDir, importer, pluginData: 'resolving' })
        if (result.errors.length > 0) return { errors: result.errors }
        return { path: result.path, sideEffects: false }
      },
    )
  },
}

// CommonJS packages inside an ES module bundle still call require() (for
// Node's own modules); an ES module has none, so each chunk makes one.
const banner =
  "import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);"

/** esbuild's options for a bundle; the caller adds entryPoints and outdir. */
export const bundleOptions = {
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'none',
  sourcemap: false,
  chunkNames: '[name]-[hash]',
  banner: { js: banner },
  plugins: [inlineSchemaKeys, unusedHttpClient],
  // Paths through node_modules as written, not resolved: chunk names hash
  // their inputs' paths, which must not depend on where the install lives
  // (a linked node_modules here, a plain folder in CI).
  preserveSymlinks: true,
  logLevel: 'warning',
}
