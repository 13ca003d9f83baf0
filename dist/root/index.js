import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{a as o}from"./chunk-PJLPFGZO.js";o();
