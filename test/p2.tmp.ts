import { startHostileCloud, rawExchange } from './helpers/hostile.js';
const cloud = await startHostileCloud();
const e = cloud.endpoint;
console.log(await rawExchange(e, ['GET /2017-03-31/tags/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n'], {waitMs: 1000}));
console.log(await rawExchange(e, ['GET /2017-03-31/tags/ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'], {waitMs: 1000}));
console.log(await rawExchange(e, ['GET /2017-03-31/tags/ HTTP/1.1\r\nHost: x\r\n\r\n'], {waitMs: 1000}));
await cloud.close();
