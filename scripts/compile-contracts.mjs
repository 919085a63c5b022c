#!/usr/bin/env node
// Compiles contracts/*.sol offline with solc-js (the version pinned in package.json) and
// writes contracts/build/<Contract>.json: { contractName, sourceName, abi, bytecode,
// deployedBytecode, compiler }. The ABI and bytecode are build outputs; never edit them.
// Usage: node scripts/compile-contracts.mjs
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = join(root, "contracts");
const out = join(dir, "build");

// contracts/*.sol and the test contracts in contracts/test/*.sol.
const sources = {};
for (const sub of ["", "test"]) {
  for (const file of readdirSync(join(dir, sub)).filter((f) => f.endsWith(".sol")).sort()) {
    const name = sub ? `${sub}/${file}` : file;
    sources[name] = { content: readFileSync(join(dir, name), "utf8") };
  }
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    // pallet-revive's EVM implements the Cancun opcode set.
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
for (const e of output.errors ?? []) console.error(e.formattedMessage);
if (errors.length > 0) process.exit(1);

mkdirSync(out, { recursive: true });
let written = 0;
for (const [sourceName, contracts] of Object.entries(output.contracts)) {
  for (const [contractName, c] of Object.entries(contracts)) {
    if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts: ABI only below
    const artifact = {
      contractName,
      sourceName,
      compiler: `solc-js ${solc.version()}`,
      abi: c.abi,
      bytecode: "0x" + c.evm.bytecode.object,
      deployedBytecode: "0x" + c.evm.deployedBytecode.object,
    };
    writeFileSync(join(out, `${contractName}.json`), JSON.stringify(artifact, null, 2) + "\n");
    written++;
  }
  for (const [contractName, c] of Object.entries(contracts)) {
    if (c.evm.bytecode.object) continue;
    writeFileSync(
      join(out, `${contractName}.abi.json`),
      JSON.stringify({ contractName, sourceName, abi: c.abi }, null, 2) + "\n",
    );
  }
}
console.error(`compiled ${written} deployable contracts with solc ${solc.version()} into ${out}`);
