#!/usr/bin/env python3
"""Writes the generated vectors in generated/: deterministic inputs, each
compressed by the system zlib (through Python's zlib module) in every
wrapper and with each strategy. Run from this directory; the output is
committed, so the tests need no Python."""
import random, zlib, gzip, io, os

rng = random.Random(20)
words = ("the of and to in is that for it as was with be by on not he this are or his from at which "
         "but have an they you were her she there been one all we their has would when if so no will "
         "embedding model token stream deflate window huffman literal distance").split()
text = []
n = 0
while n < 50_000:
    w = rng.choice(words) if rng.random() < 0.9 else "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 12)))
    text.append(w)
    n += len(w) + 1
text = (" ".join(text) + "\n").encode()
noise = bytes(rng.getrandbits(8) for _ in range(30_000))
zeros = bytes(200_000)
mixed = text[:40_000] + noise[:40_000] + text[40_000:80_000] + zeros[:50_000]
mixed = text[:20_000] + noise[:20_000] + text[20_000:40_000] + zeros[:50_000]
inputs = {"text": text, "noise": noise, "zeros": zeros, "mixed": mixed, "empty": b""}

os.makedirs("generated", exist_ok=True)
for name, data in inputs.items():
    # The reference: a gzip stream carries its own CRC-32 and length, so it
    # checks itself; the raw variants below are compared with its output.
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    open(f"generated/{name}.gz", "wb").write(c.compress(data) + c.flush())
    c = zlib.compressobj(6, zlib.DEFLATED, 15)
    open(f"generated/{name}.zz", "wb").write(c.compress(data) + c.flush())
    for level in (0, 1, 6, 9):
        for strategy, sname in ((zlib.Z_DEFAULT_STRATEGY, "default"), (zlib.Z_FILTERED, "filtered"),
                                (zlib.Z_HUFFMAN_ONLY, "huffman"), (zlib.Z_RLE, "rle"), (zlib.Z_FIXED, "fixed")):
            if level == 0 and strategy != zlib.Z_DEFAULT_STRATEGY:
                continue
            if level in (1, 9) and strategy != zlib.Z_DEFAULT_STRATEGY:
                continue
            if name == "zeros" and level == 0:
                continue
            if name == "noise" and level not in (0, 6):
                continue
            c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
            out = c.compress(data) + c.flush()
            open(f"generated/{name}.{level}-{sname}.deflate", "wb").write(out)
    # A sync-flushed raw stream without a final block (as permessage-deflate sends).
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = c.compress(data[:20_000]) + c.flush(zlib.Z_SYNC_FLUSH) + c.compress(data[20_000:40_000]) + c.flush(zlib.Z_SYNC_FLUSH)
    open(f"generated/{name}.sync.deflate", "wb").write(out)
# Small windows (zlib header CINFO < 7).
c = zlib.compressobj(6, zlib.DEFLATED, 9)
open("generated/text.window9.zz", "wb").write(c.compress(text) + c.flush())
