import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{a as o}from"./chunk-34T7IBTM.js";o();
