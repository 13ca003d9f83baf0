import type { BuildOptions } from 'esbuild'

/** esbuild's options for a bundle in dist/ (scripts/bundle-options.mjs). */
export declare const bundleOptions: BuildOptions
