import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-QOMQNOFX.js";import"./chunk-PGZOIQKK.js";import"./chunk-WK3EMMY6.js";import"./chunk-ZTDY7IXF.js";import"./chunk-7GG4IGD7.js";export{f as ENV_ACCOUNT_ID,e as ENV_CREDENTIAL_SCOPE,d as ENV_EXPIRATION,a as ENV_KEY,b as ENV_SECRET,c as ENV_SESSION,g as fromEnv};
