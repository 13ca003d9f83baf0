import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{b as r}from"../chunk-34T7IBTM.js";r();
