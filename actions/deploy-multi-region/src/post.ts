import { runPost } from './cleanup.js'
void runPost()
