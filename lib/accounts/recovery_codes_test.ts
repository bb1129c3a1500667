import assert from "node:assert/strict";
import { keys } from "./keys.ts";
import {
  consumeRecoveryCode,
  countRecoveryCodes,
  deleteRecoveryCodes,
  newRecoveryCode,
  normalizeRecoveryCode,
  regenerateRecoveryCodes,
} from "./recovery_codes.ts";

Deno.test("recovery codes look like xxxxx-xxxxx in lowercase base32 and are distinct", () => {
  const codes = new Set(Array.from({ length: 200 }, newRecoveryCode));
  assert.deepEqual(codes.size, 200);
  for (const c of codes) assert.match(c, /^[a-z2-7]{5}-[a-z2-7]{5}$/);
  assert.deepEqual(normalizeRecoveryCode(" ABCDE-fghij "), "abcdefghij");
  assert.deepEqual(normalizeRecoveryCode("abcde fghij"), "abcdefghij");
  assert.deepEqual(normalizeRecoveryCode("abcde-fghi0"), null);
  assert.deepEqual(normalizeRecoveryCode("123456"), null);
});

Deno.test("a recovery code works once, also under concurrent use", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const codes = await regenerateRecoveryCodes(kv, "u1");
    assert.deepEqual(codes.length, 10);
    assert.deepEqual(await countRecoveryCodes(kv, "u1"), 10);
    assert.ok(await consumeRecoveryCode(kv, "u1", codes[0]));
    assert.deepEqual(await consumeRecoveryCode(kv, "u1", codes[0]), false);
    assert.deepEqual(await countRecoveryCodes(kv, "u1"), 9);
    // Typed without the dash, in capitals: still the same code.
    assert.ok(await consumeRecoveryCode(kv, "u1", codes[1].replace("-", "").toUpperCase()));
    // Another person's code does not work for this one.
    const other = await regenerateRecoveryCodes(kv, "u2");
    assert.deepEqual(await consumeRecoveryCode(kv, "u1", other[0]), false);
    const results = await Promise.all(Array.from({ length: 6 }, () => consumeRecoveryCode(kv, "u1", codes[2])));
    assert.deepEqual(results.filter(Boolean).length, 1);
    assert.deepEqual(await countRecoveryCodes(kv, "u1"), 7);
  } finally {
    kv.close();
  }
});

Deno.test("recovery codes are stored only as hashes", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const codes = await regenerateRecoveryCodes(kv, "u1");
    const stored: string[] = [];
    for await (const e of kv.list({ prefix: keys.recoveryCodes("u1") })) {
      stored.push(JSON.stringify(e.key) + JSON.stringify(e.value));
    }
    assert.deepEqual(stored.length, 10);
    for (const code of codes) {
      for (const s of stored) {
        assert.ok(!s.includes(code) && !s.includes(code.replace("-", "")), "a stored entry contains a code");
      }
    }
  } finally {
    kv.close();
  }
});

Deno.test("regenerating replaces every old code; deleting removes them all", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const first = await regenerateRecoveryCodes(kv, "u1");
    await consumeRecoveryCode(kv, "u1", first[0]);
    const second = await regenerateRecoveryCodes(kv, "u1");
    assert.deepEqual(await countRecoveryCodes(kv, "u1"), 10);
    for (const old of first.slice(1)) assert.deepEqual(await consumeRecoveryCode(kv, "u1", old), false);
    assert.ok(await consumeRecoveryCode(kv, "u1", second[9]));
    await deleteRecoveryCodes(kv, "u1");
    assert.deepEqual(await countRecoveryCodes(kv, "u1"), 0);
  } finally {
    kv.close();
  }
});
