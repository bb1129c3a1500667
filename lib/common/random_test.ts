import assert from "node:assert/strict";
import { pooledRandomChars, randomHex, randomToken, randomUint16, randomUint32 } from "./random.ts";

Deno.test("random helpers: lengths, alphabets and ranges", () => {
  assert.match(randomHex(10), /^[0-9a-f]{20}$/);
  assert.match(randomToken(32), /^[A-Za-z0-9_-]{43}$/);
  assert.match(randomToken(12), /^[A-Za-z0-9_-]{16}$/);
  for (let i = 0; i < 100; i++) {
    const u32 = randomUint32(), u16 = randomUint16();
    assert.ok(Number.isInteger(u32) && u32 >= 0 && u32 < 2 ** 32);
    assert.ok(Number.isInteger(u16) && u16 >= 0 && u16 < 2 ** 16);
  }
  assert.notEqual(randomHex(16), randomHex(16));
});

Deno.test("pooledRandomChars: base64url characters, fresh across pool refills, oversize refused", () => {
  const seen = new Set<string>();
  // 400 × 22 characters crosses the 4096-byte pool twice: refills must keep handing out new values.
  for (let i = 0; i < 400; i++) {
    const t = pooledRandomChars(22);
    assert.match(t, /^[A-Za-z0-9_-]{22}$/);
    seen.add(t);
  }
  assert.equal(seen.size, 400);
  assert.throws(() => pooledRandomChars(4097), RangeError);
});
