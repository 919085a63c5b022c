#!/usr/bin/env node
// QSign from Ethereum tooling: deploys QSignVault (contracts/, compiled with solc-js) through
// the chain's Ethereum JSON-RPC (eth-rpc) with ethers, has it request a key and a signature
// through the QSign precompile, waits for the validators' threshold signature to arrive by
// callback (the vault stores it and emits QSignResult), and verifies it with ecrecover.
//
//   node examples/ethers/vault.mjs [ETH_RPC_URL]      (default http://127.0.0.1:8545)
// Environment: QSIGN_ETH_KEY (default: the Alith dev key, endowed in the dev/local presets),
// QSIGN_TIMEOUT_SECS (default 180).
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const url = process.argv[2] ?? "http://127.0.0.1:8545";
const key = process.env.QSIGN_ETH_KEY ??
  "0x5fb92d6e98884f76de468fa3f6278f8807c48bebc13595d45af5bdc4da702133";
const timeoutMs = Number(process.env.QSIGN_TIMEOUT_SECS ?? 180) * 1000;
const QSIGN_PRECOMPILE = "0x000000000000000000000000000000000A510000";

function artifact(name) {
  const path = join(root, "contracts/build", `${name}.json`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: ${e.message}; run: node scripts/compile-contracts.mjs`);
  }
}

const provider = new ethers.JsonRpcProvider(url, undefined, { pollingInterval: 1000 });
const wallet = new ethers.Wallet(key, provider);
const network = await provider.getNetwork();
console.log(`chain id ${network.chainId}, account ${wallet.address}, balance ${ethers.formatEther(await provider.getBalance(wallet.address))}`);

const vaultArtifact = artifact("QSignVault");
const factory = new ethers.ContractFactory(vaultArtifact.abi, vaultArtifact.bytecode, wallet);
const vault = await factory.deploy(3, { value: ethers.parseEther("10") });
await vault.waitForDeployment();
const vaultAddr = await vault.getAddress();
console.log(`vault deployed at ${vaultAddr}`);

let receipt = await (await vault.createKey()).wait();
const keyEvent = receipt.logs.map((l) => { try { return vault.interface.parseLog(l); } catch { return null; } })
  .find((e) => e?.name === "QKeyRequested");
if (!keyEvent) throw new Error("no QKeyRequested event");
const keyId = keyEvent.args.keyId;
const keyAddress = keyEvent.args.ethAddress;
console.log(`key ${keyId} owned by the vault, Ethereum address ${keyAddress}`);

const hash = ethers.keccak256(ethers.toUtf8Bytes(`withdraw from ${vaultAddr}`));
receipt = await (await vault.signHash(hash)).wait();
const reqEvent = receipt.logs.map((l) => { try { return vault.interface.parseLog(l); } catch { return null; } })
  .find((e) => e?.name === "QSignRequested");
if (!reqEvent) throw new Error("no QSignRequested event");
const requestId = reqEvent.args.requestId;
console.log(`signature request ${requestId} for ${hash}`);

const started = Date.now();
let status = 0n;
while (Date.now() - started < timeoutMs) {
  status = await vault.results(requestId);
  if (status !== 0n) break;
  await new Promise((r) => setTimeout(r, 2000));
}
if (status !== 2n) throw new Error(`request ${requestId}: callback status ${status} after ${(Date.now() - started) / 1000} s`);
const signature = await vault.signatures(requestId);
console.log(`callback delivered the signature after ${((Date.now() - started) / 1000).toFixed(1)} s: ${signature}`);

// The callback runs inside the validators' result extrinsic, not an Ethereum transaction, so
// eth-rpc (which indexes the logs of Ethereum transactions' receipts) does not serve its
// QSignResult log; it is on-chain as a Revive::ContractEmitted event (Polkadot.js / subxt).
const logs = await provider.getLogs({
  address: vaultAddr,
  topics: [vault.interface.getEvent("QSignResult").topicHash, ethers.toBeHex(requestId, 32)],
  fromBlock: receipt.blockNumber,
});
console.log(logs.length > 0
  ? `QSignResult event in block ${logs[0].blockNumber}`
  : "QSignResult event: not served by eth-rpc (emitted by the callback inside the validators' extrinsic; see Revive.ContractEmitted)");

const iqsign = new ethers.Contract(QSIGN_PRECOMPILE, artifact("IQSign.abi").abi, provider);
const [st, messageHash, sigFromChain] = await iqsign.requestStatus(requestId);
if (st !== 2n || messageHash !== hash || sigFromChain !== signature) throw new Error("requestStatus disagrees");

const recovered = ethers.recoverAddress(hash, signature);
if (recovered !== keyAddress) throw new Error(`ecrecover gave ${recovered}, not ${keyAddress}`);
console.log(`verified with ecrecover: the signature recovers the vault's key ${recovered}`);
