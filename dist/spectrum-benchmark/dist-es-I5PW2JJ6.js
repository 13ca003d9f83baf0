import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{a,b,c,d,e,f,g}from"./chunk-NHCD3HYD.js";import"./chunk-3FX6S3W5.js";import"./chunk-4XEYGIPA.js";import"./chunk-4CLQE35Y.js";import"./chunk-S3PYTKWV.js";export{f as ENV_ACCOUNT_ID,e as ENV_CREDENTIAL_SCOPE,d as ENV_EXPIRATION,a as ENV_KEY,b as ENV_SECRET,c as ENV_SESSION,g as fromEnv};
