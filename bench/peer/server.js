// The peer of bench/webhook.sh: node-webot's `wechat` middleware (npm, 2.1.x) on express 5, the most used open
// WeChat push framework on npm, with an echo handler that stores nothing: a text is answered with its own content
// as a passive text reply (encrypted again in safe mode), any other push with an empty 200, which WeChat accepts.
// It verifies `signature` in plaintext mode and `msg_signature` in safe mode, decrypts and parses with xml2js; no
// dedup, no database, no cache. One process, as `node server.js` runs it.
//
//   PEER_PORT=PORT PEER_TOKEN=T PEER_PLAIN_APP_ID=A PEER_SAFE_APP_ID=B PEER_AES_KEY=K node server.js
//
// serves POST /wechat/A (plaintext), POST /wechat/B (safe mode) and GET /healthz.
'use strict';

const express = require('express');
const wechat = require('wechat');

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(required('PEER_PORT'));
const token = required('PEER_TOKEN');
const plainAppId = required('PEER_PLAIN_APP_ID');
const safeAppId = required('PEER_SAFE_APP_ID');
const aesKey = required('PEER_AES_KEY');

function echo(req, res) {
  const message = req.weixin;
  res.reply(message.MsgType === 'text' ? message.Content : '');
}

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (req, res) => res.type('text/plain').send('ok'));
app.use(`/wechat/${plainAppId}`, wechat({ token, appid: plainAppId, checkSignature: true }, echo));
app.use(`/wechat/${safeAppId}`, wechat({ token, appid: safeAppId, encodingAESKey: aesKey, checkSignature: true }, echo));
// An error from the middleware (a body that does not parse) is a 500 with nothing more; the bench counts non-2xx.
app.use((err, req, res, next) => {
  res.status(500).type('text/plain').send(err.name || 'error');
});

app.listen(port, '127.0.0.1', () => console.log(`peer listening on http://127.0.0.1:${port}`));
