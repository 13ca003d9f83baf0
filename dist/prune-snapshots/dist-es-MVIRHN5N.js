import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{a,b,c}from"./chunk-W67ZKLZP.js";import"./chunk-A4KW45AD.js";import"./chunk-4ZDUVLSC.js";import"./chunk-VFN4YWUD.js";import"./chunk-4CLQE35Y.js";import"./chunk-S3PYTKWV.js";export{c as credentialsTreatedAsExpired,b as credentialsWillNeedRefresh,a as defaultProvider};
