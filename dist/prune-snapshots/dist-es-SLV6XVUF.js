import{createRequire as __bundleRequire}from'node:module';const require=__bundleRequire(import.meta.url);
import{a,b,c}from"./chunk-O76XLU76.js";import"./chunk-QFJWWOKG.js";import"./chunk-HMYQXRAT.js";import"./chunk-4XEYGIPA.js";import"./chunk-4CLQE35Y.js";import"./chunk-S3PYTKWV.js";export{c as credentialsTreatedAsExpired,b as credentialsWillNeedRefresh,a as defaultProvider};
