#!/usr/bin/env python3
"""Independent computation of QSign derivation and address test vectors.

Uses only the Python standard library (hashlib SHA-256 / RIPEMD-160) plus textbook code
written here: affine secp256k1 arithmetic, Keccak-256 (the original Keccak padding used by
Ethereum, not SHA3-256), EIP-55 and the BIP-173 bech32 reference encoder. Nothing is shared
with the Rust implementation. Run `python3 generate.py` and compare with the vectors
hard-coded in `src/derivation.rs` and `src/address.rs` tests.
"""
import hashlib

# --- secp256k1 -------------------------------------------------------------------------
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)

def add(a, b):
    if a is None: return b
    if b is None: return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0: return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)

def mul(k, pt):
    acc = None
    while k:
        if k & 1: acc = add(acc, pt)
        pt = add(pt, pt)
        k >>= 1
    return acc

def compress(pt):
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")

def decompress(b):
    x = int.from_bytes(b[1:], "big")
    y = pow((x**3 + 7) % P, (P + 1) // 4, P)
    if y & 1 != b[0] & 1: y = P - y
    return (x, y)

# --- QSign epsilon ------------------------------------------------------------------------
def epsilon(owner, path):
    msg = b"QSign/v1/epsilon" + len(owner).to_bytes(4, "big") + owner + len(path).to_bytes(4, "big") + path
    return int.from_bytes(hashlib.sha256(msg).digest(), "big") % N

# --- Keccak-256 (Ethereum) ---------------------------------------------------------------
RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
      0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
      0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
      0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
      0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
      0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
M64 = 2**64 - 1

def rol(v, s): return ((v << s) | (v >> (64 - s))) & M64 if s else v

def keccak_f(A):
    for rc in RC:
        C = [A[x][0] ^ A[x][1] ^ A[x][2] ^ A[x][3] ^ A[x][4] for x in range(5)]
        D = [C[(x - 1) % 5] ^ rol(C[(x + 1) % 5], 1) for x in range(5)]
        A = [[A[x][y] ^ D[x] for y in range(5)] for x in range(5)]
        B = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                B[y][(2 * x + 3 * y) % 5] = rol(A[x][y], ROT[x][y])
        A = [[B[x][y] ^ ((~B[(x + 1) % 5][y]) & B[(x + 2) % 5][y]) for y in range(5)] for x in range(5)]
        A[0][0] ^= rc
    return A

def keccak256(data):
    rate = 136
    data = bytearray(data) + b"\x01"
    while len(data) % rate: data += b"\x00"
    data[-1] |= 0x80
    A = [[0] * 5 for _ in range(5)]
    for off in range(0, len(data), rate):
        block = data[off:off + rate]
        for i in range(rate // 8):
            A[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        A = keccak_f(A)
    return b"".join(A[i % 5][i // 5].to_bytes(8, "little") for i in range(4))

def eth_address(pt):
    raw = keccak256(pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big"))[12:]
    h = keccak256(raw.hex().encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(h[i], 16) >= 8 else c for i, c in enumerate(raw.hex()))

# --- bech32 (BIP-173 reference) ----------------------------------------------------------
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

def polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5): chk ^= gen[i] if (b >> i) & 1 else 0
    return chk

def bech32_encode(hrp, data):
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data
    pm = polymod(values + [0] * 6) ^ 1
    return hrp + "1" + "".join(CHARSET[d] for d in data + [(pm >> 5 * (5 - i)) & 31 for i in range(6)])

def convertbits(data, frm, to):
    acc, bits, out = 0, 0, []
    for v in data:
        acc = (acc << frm) | v; bits += frm
        while bits >= to:
            bits -= to; out.append((acc >> bits) & ((1 << to) - 1))
    if bits: out.append((acc << (to - bits)) & ((1 << to) - 1))
    return out

def p2wpkh(pt, hrp):
    h160 = hashlib.new("ripemd160", hashlib.sha256(compress(pt)).digest()).digest()
    return bech32_encode(hrp, [0] + convertbits(h160, 8, 5))

# --- self-checks against published vectors -------------------------------------------------
assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
assert eth_address(G) == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
assert p2wpkh(G, "bc") == "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173 example

ROOTS = {
    "G": G,
    "R": mul(0x4C0883A69102937D6231471B5DBB6204FE5129617082792AE468D01A3F362318, G),
}
CASES = [
    ("G", b"", b""),
    ("G", bytes(range(32)), b"ethereum,1"),
    ("R", bytes([0xAA] * 32), b"bitcoin,0"),
    ("R", bytes([0x01] * 32), "çà/🔑".encode()),
]
for root, owner, path in CASES:
    e = epsilon(owner, path)
    child = add(ROOTS[root], mul(e, G))
    print(f'("{root}", "{owner.hex()}", "{path.hex()}", "{e:064x}", "{compress(child).hex()}",')
    print(f'    "{eth_address(child)}", "{p2wpkh(child, "bc")}", "{p2wpkh(child, "tb")}", "{p2wpkh(child, "bcrt")}"),')
print("root R =", compress(ROOTS["R"]).hex())
