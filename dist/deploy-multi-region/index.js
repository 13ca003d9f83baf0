import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{b as r}from"./chunk-TLQ6XJUY.js";import"./chunk-7GG4IGD7.js";r(import.meta.url,()=>import("./main-LTIX7RKG.js"));
