#!/usr/bin/env node
// QSign with Polkadot.js, extrinsics only: request a key, request a signature over some data,
// wait for the validators' threshold signature, and verify it here (secp256k1 recovery in JS).
//
//   node examples/polkadot-js/request-signature.mjs [ws://127.0.0.1:9944] [path] [message]
//
// Environment: QSIGN_SURI (default //Alice), QSIGN_TIMEOUT_SECS (default 300).
// Prints the key, its addresses and the signature; exit code 0 only if the signature
// recovers the key's public key.
import { ApiPromise, Keyring, WsProvider } from '@polkadot/api';
import { u8aEq, u8aToHex, hexToU8a, stringToU8a } from '@polkadot/util';
import { cryptoWaitReady, keccakAsU8a, secp256k1Recover } from '@polkadot/util-crypto';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const path = process.argv[3] ?? 'polkadot-js-example';
const message = process.argv[4] ?? 'hello from Polkadot.js';
const suri = process.env.QSIGN_SURI ?? '//Alice';
const timeoutMs = Number(process.env.QSIGN_TIMEOUT_SECS ?? 300) * 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function fail(reason) {
  console.error(`polkadot-js example: FAILED: ${reason}`);
  process.exit(1);
}
if (!/^wss?:\/\//.test(url)) fail(`not a ws:// or wss:// URL: ${url}`);

// Signs and submits `tx`; resolves with its events once it is in a block, rejects with the
// pallet error's name if its dispatch failed.
function submit(api, signer, tx) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        if (dispatchError.isModule) {
          const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${section}.${name}: ${docs.join(' ')}`));
        } else {
          reject(new Error(dispatchError.toString()));
        }
      } else if (status.isInBlock) {
        resolve(events.map(({ event }) => event));
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        reject(new Error(`transaction ${status.type}`));
      }
    }).catch(reject);
  });
}

await cryptoWaitReady();
const provider = new WsProvider(url);
const api = await ApiPromise.create({
  provider,
  noInitWarn: true,
  throwOnConnect: true,
}).catch((e) => fail(`cannot connect to ${url}: ${e.message}`));
const signer = new Keyring({ type: 'sr25519' }).addFromUri(suri);
const deadline = Date.now() + timeoutMs;

// The committee's root key (put on-chain by the validators' DKG; pallet-committee's storage).
let root = await api.query.committee.rootKey();
while (root.isNone) {
  if (Date.now() > deadline) fail('the committee has no root key yet (DKG not done)');
  await sleep(2000);
  root = await api.query.committee.rootKey();
}
console.log(`root key: ${root.unwrap().toHex()}`);

// QKey: a key owned by this account at `path`.
const keyEvents = await submit(api, signer, api.tx.qSign.requestKey(path));
const keyEvent = keyEvents.find((e) => api.events.qSign.KeyCreated.is(e) || api.events.qSign.KeyExists.is(e));
if (!keyEvent) fail('request_key emitted no KeyCreated/KeyExists event');
const keyId = keyEvent.data.keyId.toNumber();
const key = await provider.send('qsign_keyInfo', [keyId, null]);
console.log(`key ${keyId} of ${signer.address} (path ${JSON.stringify(path)})`);
console.log(`  public key:       ${key.publicKey}`);
console.log(`  ethereum address: ${key.ethereumAddress}`);
console.log(`  bitcoin address:  ${key.bitcoinP2wpkhAddress}`);

// QSignData: a signature over keccak256(message), hashed by the chain.
const payload = { Data: { data: u8aToHex(stringToU8a(message)), hasher: 'Keccak256' } };
const requestEvents = await submit(api, signer, api.tx.qSign.requestSignature(keyId, [payload], null, null));
const created = requestEvents.find((e) => api.events.qSign.RequestCreated.is(e));
if (!created) fail('request_signature emitted no RequestCreated event');
const requestId = created.data.requestId.toNumber();
const messageHash = created.data.messageHash.toU8a();
if (!u8aEq(messageHash, keccakAsU8a(stringToU8a(message)))) fail('the chain hashed something else');
console.log(`request ${requestId}: sign keccak256(${JSON.stringify(message)}) = ${u8aToHex(messageHash)}`);

let request = await provider.send('qsign_requestStatus', [requestId, null]);
while (request.status.status === 'pending') {
  if (Date.now() > deadline) fail(`request ${requestId} still pending`);
  await sleep(1000);
  request = await provider.send('qsign_requestStatus', [requestId, null]);
}
if (!request.status.signature) fail(`request ${requestId} ended ${JSON.stringify(request.status)}`);
const signature = hexToU8a(request.status.signature);
console.log(`signed: ${request.status.signature}`);

// Verify here: recover the signer's public key from (hash, r ‖ s, v).
const recovered = secp256k1Recover(messageHash, signature.subarray(0, 64), signature[64]);
if (!u8aEq(recovered, hexToU8a(key.publicKey))) {
  fail(`the signature recovers ${u8aToHex(recovered)}, not the key ${key.publicKey}`);
}
console.log(`verified in JS: the signature recovers key ${keyId} (${key.ethereumAddress})`);
await api.disconnect();
process.exit(0);
