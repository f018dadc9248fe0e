#!/usr/bin/env node
// A tiny CLI over node-webot's wechat-crypto: an implementation of WeChat's message
// encryption written independently of ours. The NUnit interop tests drive it to prove
// that what we encrypt WeChat's other clients can read, and the other way round.
//
// stdin:  {"op": "encrypt"|"decrypt"|"signature", "token", "aesKey", "appId", "text"|"encrypt", "timestamp", "nonce"}
// stdout: encrypt   -> {"encrypt": "<base64>"}
//         decrypt   -> {"message": "...", "appId": "..."}
//         signature -> {"signature": "<sha1 hex>"}
// Any failure: {"error": "..."} on stdout and exit code 1.
'use strict';

const WXBizMsgCrypt = require('wechat-crypto');

function run(request) {
  const crypto = new WXBizMsgCrypt(request.token, request.aesKey, request.appId);
  switch (request.op) {
    case 'encrypt':
      return { encrypt: crypto.encrypt(request.text) };
    case 'decrypt': {
      const result = crypto.decrypt(request.encrypt);
      return { message: result.message, appId: result.id };
    }
    case 'signature':
      return { signature: crypto.getSignature(request.timestamp, request.nonce, request.encrypt) };
    default:
      throw new Error(`unknown op ${JSON.stringify(request.op)}`);
  }
}

const chunks = [];
process.stdin.on('data', (chunk) => chunks.push(chunk));
process.stdin.on('end', () => {
  try {
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    process.stdout.write(JSON.stringify(run(request)));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error && error.message || error) }));
    process.exitCode = 1;
  }
});
