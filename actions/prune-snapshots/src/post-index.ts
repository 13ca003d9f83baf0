import { run } from './post.js'
void run()
