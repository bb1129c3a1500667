import assert from "node:assert/strict";
import { deriveKey, isSealed, parseKey, sealedKeyId, SecretBox, SecretUnreadable } from "./secret_box.ts";
import { decodeBase64Url, encodeBase64Url } from "./encoding.ts";
import { loadConfig } from "./config.ts";

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const key = (fill: number) => new Uint8Array(32).fill(fill);

async function refusal(p: Promise<unknown>): Promise<SecretUnreadable> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SecretUnreadable, `expected SecretUnreadable, got ${err}`);
    assert.ok(!err.message.includes(SECRET), "the error carries the secret");
    return err;
  }
  throw new Error("the value opened");
}

Deno.test("seal and open round trip; the sealed form is versioned, names the key and hides the value", async () => {
  const box = await SecretBox.fromKeys([key(1)]);
  const sealed = await box.seal(SECRET, "user-a");
  assert.match(sealed, /^v1:[A-Za-z0-9_-]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
  assert.ok(isSealed(sealed) && !isSealed(SECRET));
  assert.equal(sealedKeyId(sealed), box.currentKeyId);
  assert.ok(!sealed.includes(SECRET) && !sealed.includes(SECRET.slice(0, 8)));
  assert.equal(await box.open(sealed, "user-a"), SECRET);
  // A fresh IV each time: the same secret never seals to the same text.
  const again = await box.seal(SECRET, "user-a");
  assert.notEqual(again, sealed);
  assert.notEqual(again.split(":")[2], sealed.split(":")[2]);
  assert.ok(box.isCurrent(sealed));
});

Deno.test("a value copied to another account (other AAD) does not open", async () => {
  const box = await SecretBox.fromKeys([key(1)]);
  const sealed = await box.seal(SECRET, "user-a");
  const err = await refusal(box.open(sealed, "user-b"));
  assert.equal(err.reason, "authentication failed");
  assert.equal(err.kind, "unavailable");
});

Deno.test("the wrong key does not open: unknown key id, and a known id over a different key", async () => {
  const sealed = await (await SecretBox.fromKeys([key(1)])).seal(SECRET, "user-a");
  const other = await SecretBox.fromKeys([key(2)]);
  const unknown = await refusal(other.open(sealed, "user-a"));
  assert.equal(unknown.reason, "unknown key");
  assert.equal(unknown.keyId, sealedKeyId(sealed));
  // Relabelled to claim the other box's key id, the tag still fails.
  const relabelled = sealed.replace(/^v1:[^:]+:/, `v1:${other.currentKeyId}:`);
  assert.equal((await refusal(other.open(relabelled, "user-a"))).reason, "authentication failed");
});

Deno.test("tampered ciphertext, IV or tag fails authentication; malformed values are refused", async () => {
  const box = await SecretBox.fromKeys([key(1)]);
  const sealed = await box.seal(SECRET, "user-a");
  const [v, id, iv, ct] = sealed.split(":");
  const flip = (text: string, at: number) => {
    const bytes = decodeBase64Url(text);
    bytes[at] ^= 0x01;
    return encodeBase64Url(bytes);
  };
  const ctLen = decodeBase64Url(ct).length;
  for (
    const bad of [
      [v, id, iv, flip(ct, 0)],
      [v, id, iv, flip(ct, ctLen - 1)], // the tag
      [v, id, flip(iv, 5), ct],
      [v, id, iv, encodeBase64Url(decodeBase64Url(ct).slice(0, ctLen - 1))], // truncated
    ]
  ) {
    assert.equal((await refusal(box.open(bad.join(":"), "user-a"))).reason, "authentication failed");
  }
  for (const bad of ["", SECRET, "v1:abc", `v2:${id}:${iv}:${ct}`, `v1:${id}:${iv}`, `${sealed}:x`]) {
    assert.equal((await refusal(box.open(bad, "user-a"))).reason, "malformed", bad);
  }
});

Deno.test("rotation: new values use the first key, values under an older key still open", async () => {
  const oldBox = await SecretBox.fromKeys([key(1)]);
  const underOld = await oldBox.seal(SECRET, "user-a");
  const rotated = await SecretBox.fromKeys([key(2), key(1)]);
  assert.deepEqual(rotated.keyIds, [(await SecretBox.fromKeys([key(2)])).currentKeyId, oldBox.currentKeyId]);
  assert.equal(await rotated.open(underOld, "user-a"), SECRET);
  assert.ok(!rotated.isCurrent(underOld));
  const underNew = await rotated.seal(SECRET, "user-a");
  assert.equal(sealedKeyId(underNew), rotated.currentKeyId);
  assert.notEqual(rotated.currentKeyId, oldBox.currentKeyId);
  // The old ring alone cannot read what the new key sealed.
  assert.equal((await refusal(oldBox.open(underNew, "user-a"))).reason, "unknown key");
  // Key ids are stable for a key and repeated keys are kept once.
  assert.deepEqual((await SecretBox.fromKeys([key(2), key(2), key(1)])).keyIds, rotated.keyIds);
});

Deno.test("deriveKey: deterministic per secret and info, different for another info or secret", async () => {
  const a = await deriveKey("server secret", "talkspace totp-secret encryption v1");
  assert.equal(a.length, 32);
  assert.deepEqual(a, await deriveKey("server secret", "talkspace totp-secret encryption v1"));
  assert.notDeepEqual(a, await deriveKey("server secret", "something else"));
  assert.notDeepEqual(a, await deriveKey("other secret", "talkspace totp-secret encryption v1"));
});

Deno.test("parseKey takes 64 hex digits or 32 bytes of base64/base64url, nothing else", () => {
  const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 3);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const b64url = encodeBase64Url(bytes);
  const b64 = btoa(String.fromCharCode(...bytes));
  assert.deepEqual(parseKey(hex), bytes);
  assert.deepEqual(parseKey(hex.toUpperCase()), bytes);
  assert.deepEqual(parseKey(b64), bytes);
  assert.deepEqual(parseKey(b64url), bytes);
  assert.deepEqual(parseKey(` ${b64} `), bytes);
  for (
    const bad of ["", "short", hex.slice(2), hex + "00", b64url.slice(1), "a passphrase that is long enough, really"]
  ) {
    assert.equal(parseKey(bad), null, bad);
  }
});

Deno.test("config: TOTP_ENCRYPTION_KEY(S) parsed in order; a bad entry names the variable, never the value", () => {
  const k1 = encodeBase64Url(key(1));
  const k2 = "02".repeat(32);
  assert.deepEqual(loadConfig({}).totpEncryptionKeys, []);
  assert.deepEqual(loadConfig({ TOTP_ENCRYPTION_KEY: k1 }).totpEncryptionKeys, [key(1)]);
  assert.deepEqual(loadConfig({ TOTP_ENCRYPTION_KEYS: `${k2}, ${k1}` }).totpEncryptionKeys, [key(2), key(1)]);
  const secretish = "hunter2-not-a-key";
  assert.throws(
    () => loadConfig({ TOTP_ENCRYPTION_KEYS: `${k1},${secretish}` }),
    (err: Error) => err.message.includes("TOTP_ENCRYPTION_KEYS (entry 2)") && !err.message.includes(secretish),
  );
  assert.throws(
    () => loadConfig({ TOTP_ENCRYPTION_KEY: secretish }),
    (err: Error) => err.message.startsWith("TOTP_ENCRYPTION_KEY must") && !err.message.includes(secretish),
  );
  assert.throws(() => loadConfig({ TOTP_ENCRYPTION_KEY: k1, TOTP_ENCRYPTION_KEYS: k1 }), /not both/);
});
