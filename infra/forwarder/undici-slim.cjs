'use strict';
// What @kubernetes/client-node takes from undici (fetch for lists and watches, Agent and ProxyAgent for
// TLS and proxies), without undici's index, which loads mocks, caches, WebSocket, EventSource and more at
// start. The forwarder's bundle aliases `undici` to this file (infra/forwarder/build.ts); the infra test
// checks that client-node imports nothing else from undici.
const { fetch } = require('undici/lib/web/fetch/index.js');
const Agent = require('undici/lib/dispatcher/agent.js');
const ProxyAgent = require('undici/lib/dispatcher/proxy-agent.js');

module.exports = { fetch, Agent, ProxyAgent };
