// scripts/rotate-totp-key.ts as an operator runs it: a separate process over the same KV file,
// configured only through the environment.

import assert from "node:assert/strict";
import { createUser, getUser } from "../lib/accounts/users.ts";
import { keys } from "../lib/accounts/keys.ts";
import { configureTotpEncryption, enableTwoFactor, newTotpSecret, openTotpSecret } from "../lib/accounts/totp.ts";
import { SecretBox } from "../lib/common/secret_box.ts";
import { encodeBase64Url } from "../lib/common/encoding.ts";

const DENO = new URL("../node_modules/.bin/deno", import.meta.url).pathname;
const SCRIPT = new URL("../scripts/rotate-totp-key.ts", import.meta.url).pathname;
const KEY_A = new Uint8Array(32).fill(0x0a);
const KEY_B = new Uint8Array(32).fill(0x0b);
const KEY_C = new Uint8Array(32).fill(0x0c);
const hex = (k: Uint8Array) => [...k].map((b) => b.toString(16).padStart(2, "0")).join("");

async function runScript(kvPath: string, env: Record<string, string>) {
  const out = await new Deno.Command(DENO, {
    args: ["run", "-A", "--unstable-kv", SCRIPT],
    env: { TALKSPACE_ENV: "test", TALKSPACE_LOG: "quiet", KV_PATH: kvPath, ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr) };
}

Deno.test("rotate-totp-key.ts reseals plain and old-key secrets under the first key, and fails on unreadable ones", async () => {
  const dir = await Deno.makeTempDir({ prefix: "totp-rotate-" });
  const kvPath = `${dir}/talkspace.kv`;
  try {
    const secrets: Record<string, string> = {};
    let kv = await Deno.openKv(kvPath);
    await configureTotpEncryption(kv, { totpEncryptionKeys: [KEY_A], secretKey: "", env: "test" });
    const legacy = await createUser(kv, { name: "Old", email: "old@example.org", passwordHash: "x" });
    secrets[legacy.id] = newTotpSecret();
    await kv.set(keys.user(legacy.id), { ...legacy, totpSecret: secrets[legacy.id] });
    const underA = await createUser(kv, { name: "Ada", email: "ada@example.org", passwordHash: "x" });
    secrets[underA.id] = newTotpSecret();
    await enableTwoFactor(kv, underA.id, secrets[underA.id]);
    kv.close();

    const rotated = await runScript(kvPath, { TOTP_ENCRYPTION_KEYS: `${encodeBase64Url(KEY_B)},${hex(KEY_A)}` });
    assert.equal(rotated.code, 0, rotated.text);
    assert.match(rotated.text, /accounts read: 2, resealed: 2, unreadable: 0/);
    for (const s of [...Object.values(secrets), hex(KEY_A), encodeBase64Url(KEY_B)]) {
      assert.ok(!rotated.text.includes(s), "the script printed a secret or a key");
    }

    kv = await Deno.openKv(kvPath);
    const keyB = (await SecretBox.fromKeys([KEY_B])).currentKeyId;
    await configureTotpEncryption(kv, { totpEncryptionKeys: [KEY_B], secretKey: "", env: "test" });
    for (const [id, secret] of Object.entries(secrets)) {
      const user = (await getUser(kv, id))!;
      assert.ok(user.totpSecret!.startsWith(`v1:${keyB}:`), `${user.email} not under the new key`);
      assert.equal(await openTotpSecret(kv, user), secret, "KEY_B alone does not open it");
    }
    kv.close();

    // KEY_B dropped too early: nothing is rewritten and the script says so with a failing exit code.
    const wrong = await runScript(kvPath, { TOTP_ENCRYPTION_KEY: hex(KEY_C) });
    assert.equal(wrong.code, 1, wrong.text);
    assert.match(wrong.text, /resealed: 0, unreadable: 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
