// QSign steps for the zombienet tests (`js-script` lines of the *.zndsl files). Zombienet calls
// `run(nodeName, networkInfo, args)` with the node the line names and returns its result to the
// assertion (`return is 50`). Polkadot.js and util-crypto come from zombienet (`zombie`).
//
// Steps (first argument), all through the named node's RPC:
//   sign,N          a key for //Alice, N signature requests, wait until all end; returns how many
//                   are Signed *and* recover the key's public key (derived on-chain).
//   submit,N,TAG    the same requests, without waiting; remembers them under TAG (in the network's
//                   directory); returns N.
//   wait,TAG        waits until TAG's requests end; returns how many are Signed and verified.
//   pending,TAG,B   waits until B more blocks are imported; returns how many of TAG's requests are
//                   still Pending (none may be Failed or lost while the committee is down).
// A request that ends Failed or Expired is reported and not counted, so the assertion fails.
'use strict';

const fs = require('fs');
const path = require('path');

const MAX_BATCH = 16; // pallet-qsign's MaxBatch in the runtime
const hex = (u8a) => '0x' + Buffer.from(u8a).toString('hex');
const bytes = (h) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function connect(uri) {
  const provider = new zombie.WsProvider(uri);
  const api = await zombie.ApiPromise.create({ provider, noInitWarn: true });
  return { api, provider };
}

// Signs and submits `tx`; resolves with its events once in a block, rejects on a dispatch error.
function submit(api, signer, tx) {
  return new Promise((resolve, reject) => {
    tx.signAndSend(signer, { nonce: -1 }, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        if (dispatchError.isModule) {
          const { section, name } = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${section}.${name}`));
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

async function rootKey(api) {
  for (;;) {
    const root = await api.query.qSign.rootKey();
    if (root.isSome) return root.unwrap();
    await sleep(2000);
  }
}

// A key for //Alice and `count` requests over distinct messages; returns what `wait` needs.
async function request(api, count) {
  await zombie.util.cryptoWaitReady();
  const alice = new zombie.Keyring({ type: 'sr25519' }).addFromUri('//Alice');
  await rootKey(api);
  const keyEvents = await submit(api, alice, api.tx.qSign.requestKey('zombienet'));
  const keyEvent = keyEvents.find(
    (e) => api.events.qSign.KeyCreated.is(e) || api.events.qSign.KeyExists.is(e),
  );
  if (!keyEvent) throw new Error('request_key emitted no KeyCreated/KeyExists event');
  const keyId = keyEvent.data.keyId.toNumber();
  const run = `${Date.now()}-${Math.random()}`;
  const requests = [];
  for (let first = 0; first < count; first += MAX_BATCH) {
    const payloads = [];
    for (let i = first; i < Math.min(count, first + MAX_BATCH); i++) {
      const data = Buffer.from(`zombienet ${run} #${i}`);
      payloads.push({ Data: { data: hex(data), hasher: 'Keccak256' } });
    }
    const events = await submit(api, alice, api.tx.qSign.requestSignature(keyId, payloads, null, null));
    for (const e of events.filter((e) => api.events.qSign.RequestCreated.is(e))) {
      requests.push({ id: e.data.requestId.toNumber(), hash: e.data.messageHash.toHex() });
    }
  }
  if (requests.length !== count) throw new Error(`${requests.length} of ${count} requests created`);
  return { keyId, requests };
}

// Waits until every request ends; returns how many are Signed with a signature that recovers the
// key's public key.
async function wait(provider, job) {
  const key = await provider.send('qsign_keyInfo', [job.keyId, null]);
  let verified = 0;
  for (const { id, hash } of job.requests) {
    let info = await provider.send('qsign_requestStatus', [id, null]);
    while (info.status.status === 'pending') {
      await sleep(1000);
      info = await provider.send('qsign_requestStatus', [id, null]);
    }
    if (!info.status.signature) {
      console.log(`request ${id} ended ${JSON.stringify(info.status)}`);
      continue;
    }
    const signature = bytes(info.status.signature);
    const recovered = zombie.util.secp256k1Recover(bytes(hash), signature.subarray(0, 64), signature[64]);
    if (hex(recovered) === key.publicKey.toLowerCase()) {
      verified += 1;
    } else {
      console.log(`request ${id}: the signature recovers ${hex(recovered)}, not ${key.publicKey}`);
    }
  }
  return verified;
}

async function pending(api, provider, job, blocks) {
  const start = (await api.rpc.chain.getHeader()).number.toNumber();
  while ((await api.rpc.chain.getHeader()).number.toNumber() < start + blocks) await sleep(1000);
  let stillPending = 0;
  for (const { id } of job.requests) {
    const info = await provider.send('qsign_requestStatus', [id, null]);
    if (info.status.status === 'pending') stillPending += 1;
    else console.log(`request ${id} is ${JSON.stringify(info.status)}, not pending`);
  }
  return stillPending;
}

async function run(nodeName, networkInfo, args) {
  const [step, ...rest] = args;
  const jobFile = (tag) => {
    if (!/^[a-z0-9-]+$/.test(tag ?? '')) throw new Error(`bad tag ${tag}`);
    return path.join(networkInfo.tmpDir, `qsign-${tag}.json`);
  };
  const number = (s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) throw new Error(`not a positive integer: ${s}`);
    return n;
  };
  const { api, provider } = await connect(networkInfo.nodesByName[nodeName].wsUri);
  try {
    switch (step) {
      case 'sign':
        return await wait(provider, await request(api, number(rest[0])));
      case 'submit': {
        const job = await request(api, number(rest[0]));
        fs.writeFileSync(jobFile(rest[1]), JSON.stringify(job));
        return job.requests.length;
      }
      case 'wait':
        return await wait(provider, JSON.parse(fs.readFileSync(jobFile(rest[0]))));
      case 'pending':
        return await pending(api, provider, JSON.parse(fs.readFileSync(jobFile(rest[0]))), number(rest[1]));
      default:
        throw new Error(`unknown step ${step}`);
    }
  } finally {
    await api.disconnect();
  }
}

module.exports = { run };
