import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{a,b,c}from"./chunk-BC34KPLP.js";import"./chunk-YJBB6EXE.js";import"./chunk-EW34D67K.js";import"./chunk-S3PYTKWV.js";export{c as credentialsTreatedAsExpired,b as credentialsWillNeedRefresh,a as defaultProvider};
