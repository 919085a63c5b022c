#!/usr/bin/env python3
"""CPU per signature by category, from `perf report --stdio --sort comm,dso,sym -F
sample,comm,dso,sym` of a whole-machine `perf record -e cpu-clock -F HZ -a` (see
scripts/profile-load.sh).

Usage: cpu-breakdown.py REPORT HZ SECONDS SIGNATURES

A sample is one 1/HZ s slice of one CPU. Categories are decided by thread name (comm), then
shared object, then symbol, first match wins; idle time (the `swapper` threads) is left out.
"""
import re
import sys

# (category, test on (comm, dso, sym)), first match wins.
RULES = [
    ("idle", lambda c, d, s: c.startswith("swapper")),
    ("benchmark client (qsign-load)", lambda c, d, s: c.startswith("qsign-load")),
    ("MPC cryptography (session threads)", lambda c, d, s: c.startswith("qsign-sign")
        or c.startswith("qsign-dkg") or c.startswith("qsign-resh")),
    ("kernel (network stack, scheduler, syscalls)", lambda c, d, s: "kernel" in d),
    ("runtime: compiled Wasm", lambda c, d, s: d.startswith("perf-") or "[JIT]" in d
        or s.startswith("wasm[") or s.startswith("wasm-function")),
    ("runtime: host side (wasmtime, host functions)", lambda c, d, s: re.search(
        r"wasmtime|cranelift|sc_executor|sp_io|sp_wasm_interface|sp_runtime_interface", s)),
    ("sr25519 (MPC message and transaction signatures)", lambda c, d, s: re.search(
        r"schnorrkel|curve25519|sr25519|merlin|ed25519", s)),
    ("networking (libp2p, noise, yamux)", lambda c, d, s: re.search(
        r"libp2p|yamux|noise|snow|chacha|poly1305|litep2p|multistream|sc_network|tokio::net", s)),
    ("database (ParityDB)", lambda c, d, s: re.search(r"parity_db|kvdb|rocksdb", s)),
    ("other crypto and hashing", lambda c, d, s: re.search(
        r"k256|secp256k1|dkls|sha2|sha3|keccak|blake2|twox|xxhash", s)),
    ("memory (malloc, copies)", lambda c, d, s: re.search(
        r"malloc|free|realloc|memcpy|memmove|memset|_int_|tikv_jemalloc|jemalloc|mi_", s)),
    ("codec (SCALE, serde, JSON)", lambda c, d, s: re.search(r"parity_scale_codec|serde|codec", s)),
    ("other (node)", lambda c, d, s: True),
]

LINE = re.compile(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+\[[.k]\]\s+(.*)$")


def main():
    report, hz, seconds, signatures = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    totals = {name: 0 for name, _ in RULES}
    for line in open(report, encoding="utf-8", errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        samples, comm, dso, sym = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        for name, test in RULES:
            if test(comm, dso, sym):
                totals[name] += samples
                break
    busy = sum(v for k, v in totals.items() if k != "idle")
    cpu_busy = busy / hz
    print(f"CPU breakdown: {cpu_busy:.1f} CPU-s busy in {seconds:.1f} s "
          f"({100 * cpu_busy / max(seconds, 1e-9):.0f} % of one core), {signatures} signatures")
    print(f"  {'category':<50} {'CPU-s':>7} {'share':>6} {'ms/signature':>13}")
    for name, _ in RULES:
        if name == "idle":
            continue
        cpu = totals[name] / hz
        per = 1000 * cpu / signatures if signatures else float("nan")
        print(f"  {name:<50} {cpu:>7.1f} {100 * totals[name] / max(busy, 1):>5.0f}% {per:>13.2f}")
    per_total = 1000 * cpu_busy / signatures if signatures else float("nan")
    print(f"  {'total busy':<50} {cpu_busy:>7.1f} {100:>5}% {per_total:>13.2f}")
    print(f"  idle: {totals['idle'] / hz:.1f} CPU-s")


if __name__ == "__main__":
    main()
