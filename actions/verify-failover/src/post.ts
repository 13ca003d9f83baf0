/** The `post` step's logic (bundled from post-index.ts); GitHub's local-action runs it with `--post src/post.ts`. */
export { runPost as run } from './post-main.js'
