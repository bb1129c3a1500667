// TOTP secrets at rest on a real KV: sealed on enrolment, bound to the account, key rotation with
// resealing on sign-in and by the batch pass, legacy plain values, and unreadable values.

import assert from "node:assert/strict";
import { keys } from "./keys.ts";
import { createUser, getUser, rewriteUsers, updateUser } from "./users.ts";
import type { User } from "./users.ts";
import {
  configureTotpEncryption,
  enableTwoFactor,
  loadTotpBox,
  newTotpSecret,
  openPendingTotpSecret,
  openTotpSecret,
  resealTotpSecrets,
  sealPendingTotpSecret,
  totpCodeAt,
  totpSecretKeyId,
  verifySecondFactor,
} from "./totp.ts";
import { SecretBox, SecretUnreadable } from "../common/secret_box.ts";
import type { Store } from "../common/store.ts";
import { type LogRecord, setLogSink } from "../common/log.ts";

const STEP_MS = 30_000;
const NOW = 1_750_000_000_000 - (1_750_000_000_000 % STEP_MS) + STEP_MS / 2;
const KEY_A = new Uint8Array(32).fill(0xa1);
const KEY_B = new Uint8Array(32).fill(0xb2);
const KEY_C = new Uint8Array(32).fill(0xc3);

const idOf = async (raw: Uint8Array) => (await SecretBox.fromKeys([raw])).currentKeyId;

function configure(kv: Store, totpEncryptionKeys: Uint8Array[]) {
  return configureTotpEncryption(kv, { totpEncryptionKeys, secretKey: "", env: "test" });
}

async function withKv(fn: (kv: Store) => Promise<void>) {
  const kv = await Deno.openKv(":memory:");
  try {
    await fn(kv);
  } finally {
    kv.close();
  }
}

async function makeUser(kv: Store, email: string): Promise<User> {
  return await createUser(kv, { name: "Ada", email, passwordHash: "x" });
}

async function rawSecret(kv: Store, id: string): Promise<string | null> {
  return (await kv.get<User>(keys.user(id))).value!.totpSecret;
}

/** Collects every log line while `fn` runs. */
async function capturingLogs(fn: () => Promise<void>): Promise<LogRecord[]> {
  const lines: LogRecord[] = [];
  setLogSink((r) => lines.push(r));
  try {
    await fn();
  } finally {
    setLogSink(null);
  }
  return lines;
}

Deno.test("enableTwoFactor stores the secret sealed under the current key, never in plain", async () => {
  await withKv(async (kv) => {
    await configure(kv, [KEY_A]);
    const user = await makeUser(kv, "ada@example.org");
    const secret = newTotpSecret();
    await enableTwoFactor(kv, user.id, secret);
    const stored = (await rawSecret(kv, user.id))!;
    assert.ok(stored.startsWith(`v1:${await idOf(KEY_A)}:`), stored);
    assert.ok(!stored.includes(secret) && !stored.includes(secret.slice(0, 10)));
    assert.equal(await openTotpSecret(kv, { id: user.id, totpSecret: stored }), secret);
    assert.equal(await verifySecondFactor(kv, (await getUser(kv, user.id))!, totpCodeAt(secret, NOW), NOW), "totp");
  });
});

Deno.test("a sealed secret copied to another account does not open: a clear error and a log line without it", async () => {
  await withKv(async (kv) => {
    await configure(kv, [KEY_A]);
    const ada = await makeUser(kv, "ada@example.org");
    const eve = await makeUser(kv, "eve@example.org");
    const secret = newTotpSecret();
    const { recoveryCodes } = (await enableTwoFactor(kv, ada.id, secret))!;
    await enableTwoFactor(kv, eve.id, newTotpSecret());
    // Someone with write access to the database copies Ada's sealed secret onto Eve's account.
    const stolen = { ...(await getUser(kv, eve.id))!, totpSecret: await rawSecret(kv, ada.id) };
    await kv.set(keys.user(eve.id), stolen);

    let thrown: unknown;
    const lines = await capturingLogs(async () => {
      thrown = await verifySecondFactor(kv, stolen, totpCodeAt(secret, NOW), NOW).catch((e) => e);
    });
    assert.ok(thrown instanceof SecretUnreadable, `got ${thrown}`);
    assert.equal(thrown.kind, "unavailable");
    assert.equal(thrown.reason, "authentication failed");
    const line = lines.find((l) => l.msg === "TOTP secret cannot be decrypted");
    assert.ok(line, "no log line for the unreadable secret");
    assert.equal(line.fields.userId, eve.id);
    assert.equal(line.fields.keyId, await idOf(KEY_A));
    assert.ok(!JSON.stringify(lines).includes(secret), "a log line carries the secret");
    // The owner's own account still works, and a recovery code does not need the secret.
    assert.equal(await verifySecondFactor(kv, (await getUser(kv, ada.id))!, totpCodeAt(secret, NOW), NOW), "totp");
    assert.equal(await verifySecondFactor(kv, (await getUser(kv, ada.id))!, recoveryCodes[0], NOW), "recovery");
  });
});

Deno.test("rotation: an old key still reads, new writes and a good sign-in code use the new key", async () => {
  await withKv(async (kv) => {
    await configure(kv, [KEY_A]);
    const user = await makeUser(kv, "ada@example.org");
    const secret = newTotpSecret();
    await enableTwoFactor(kv, user.id, secret);
    // A restart with KEY_B put in front of KEY_A.
    await configure(kv, [KEY_B, KEY_A]);
    const before = (await getUser(kv, user.id))!;
    assert.equal(totpSecretKeyId(before), await idOf(KEY_A));
    assert.equal(await openTotpSecret(kv, before), secret);
    // A wrong code reseals nothing.
    assert.equal(await verifySecondFactor(kv, before, "000000", NOW), null);
    assert.equal(totpSecretKeyId((await getUser(kv, user.id))!), await idOf(KEY_A));
    assert.equal(await verifySecondFactor(kv, before, totpCodeAt(secret, NOW), NOW), "totp");
    const after = (await getUser(kv, user.id))!;
    assert.equal(totpSecretKeyId(after), await idOf(KEY_B), "not resealed on sign-in");
    assert.equal(await openTotpSecret(kv, after), secret);
    const other = await makeUser(kv, "bob@example.org");
    await enableTwoFactor(kv, other.id, newTotpSecret());
    assert.equal(totpSecretKeyId((await getUser(kv, other.id))!), await idOf(KEY_B));
    // Without KEY_A configured, the value it sealed is unreadable (for someone never resealed).
    const third = await makeUser(kv, "cy@example.org");
    await configure(kv, [KEY_A]);
    await enableTwoFactor(kv, third.id, newTotpSecret());
    await configure(kv, [KEY_B]);
    const err = await openTotpSecret(kv, (await getUser(kv, third.id))!).catch((e) => e);
    assert.ok(err instanceof SecretUnreadable && err.reason === "unknown key", `got ${err}`);
  });
});

Deno.test("resealTotpSecrets: legacy plain and old-key values resealed in batches; unreadable ones left and counted", async () => {
  await withKv(async (kv) => {
    const secrets = new Map<string, string>();
    const enrol = async (email: string, keysNow: Uint8Array[]) => {
      await configure(kv, keysNow);
      const u = await makeUser(kv, email);
      const s = newTotpSecret();
      await enableTwoFactor(kv, u.id, s);
      secrets.set(u.id, s);
      return u;
    };
    const legacy = await makeUser(kv, "legacy@example.org");
    const legacySecret = newTotpSecret();
    await kv.set(keys.user(legacy.id), { ...legacy, totpSecret: legacySecret });
    secrets.set(legacy.id, legacySecret);
    const underA = await enrol("a@example.org", [KEY_A]);
    const underB = await enrol("b@example.org", [KEY_B]);
    const underC = await enrol("c@example.org", [KEY_C]);
    await makeUser(kv, "off@example.org");
    const bSealed = await rawSecret(kv, underB.id);

    await configure(kv, [KEY_B, KEY_A]);
    let report: Awaited<ReturnType<typeof resealTotpSecrets>> | undefined;
    const lines = await capturingLogs(async () => {
      report = await resealTotpSecrets(kv, { batchSize: 2 });
    });
    assert.deepEqual(report, { keyId: await idOf(KEY_B), scanned: 5, rewritten: 2, unreadable: 1, skipped: false });
    for (const u of [legacy, underA]) {
      const stored = (await rawSecret(kv, u.id))!;
      assert.ok(stored.startsWith(`v1:${await idOf(KEY_B)}:`), `${u.email} not resealed`);
      assert.ok(!stored.includes(secrets.get(u.id)!));
      assert.equal(await openTotpSecret(kv, { id: u.id, totpSecret: stored }), secrets.get(u.id));
    }
    assert.equal(await rawSecret(kv, underB.id), bSealed, "a current value was rewritten");
    assert.equal(totpSecretKeyId((await getUser(kv, underC.id))!), await idOf(KEY_C), "the unreadable one changed");
    assert.ok(!JSON.stringify(lines).includes(legacySecret), "a log line carries a secret");

    // With an unreadable secret left, the next start walks again; once KEY_C is back, it completes.
    assert.equal((await resealTotpSecrets(kv)).skipped, false);
    await configure(kv, [KEY_B, KEY_A, KEY_C]);
    assert.deepEqual(await resealTotpSecrets(kv), {
      keyId: await idOf(KEY_B),
      scanned: 5,
      rewritten: 1,
      unreadable: 0,
      skipped: false,
    });
    assert.equal(await openTotpSecret(kv, (await getUser(kv, underC.id))!), secrets.get(underC.id));
    // Done for KEY_B: the next start reads one marker; force walks anyway.
    assert.equal((await resealTotpSecrets(kv)).skipped, true);
    assert.deepEqual(await resealTotpSecrets(kv, { force: true }), {
      keyId: await idOf(KEY_B),
      scanned: 5,
      rewritten: 0,
      unreadable: 0,
      skipped: false,
    });
    // A new current key makes the next start walk again.
    await configure(kv, [KEY_A, KEY_B]);
    const again = await resealTotpSecrets(kv);
    assert.equal(again.rewritten, 4);
    for (const [id, s] of secrets) assert.equal(await openTotpSecret(kv, (await getUser(kv, id))!), s);
  });
});

Deno.test("rewriteUsers: a batch that lost a race to a concurrent change is read again, nothing overwritten", async () => {
  await withKv(async (kv) => {
    const a = await makeUser(kv, "a@example.org");
    const b = await makeUser(kv, "b@example.org");
    let raced = false;
    let calls = 0;
    const result = await rewriteUsers(kv, "test rewrite", async (user) => {
      calls++;
      if (!raced) {
        raced = true;
        // Someone renames b while the batch is being planned: the batch's check on b must fail.
        await updateUser(kv, b.id, () => ({ name: "Bea Renamed" }));
      }
      return { ...user, timeZone: "Europe/Berlin" };
    });
    assert.deepEqual(result, { scanned: 2, rewritten: 2 });
    assert.equal(calls, 4, "the batch was not planned again after the conflict");
    const [ga, gb] = [(await getUser(kv, a.id))!, (await getUser(kv, b.id))!];
    assert.equal(ga.timeZone, "Europe/Berlin");
    assert.equal(gb.timeZone, "Europe/Berlin");
    assert.equal(gb.name, "Bea Renamed", "the concurrent change was overwritten");
  });
});

Deno.test("an unconfigured store and an empty key list both use the key derived from the server secret", async () => {
  await withKv(async (kv) => {
    const user = await makeUser(kv, "ada@example.org");
    const secret = newTotpSecret();
    await enableTwoFactor(kv, user.id, secret); // never configured: the derived default
    const derived = await loadTotpBox(kv, { totpEncryptionKeys: [], secretKey: "" });
    assert.equal(totpSecretKeyId((await getUser(kv, user.id))!), derived.currentKeyId);
    assert.equal((await configure(kv, [])).currentKeyId, derived.currentKeyId);
    // Configuring a key later keeps the derived one for reading what it sealed.
    const withKey = await configure(kv, [KEY_A]);
    assert.deepEqual(withKey.keyIds, [await idOf(KEY_A), derived.currentKeyId]);
    assert.equal(await openTotpSecret(kv, (await getUser(kv, user.id))!), secret);
    // SECRET_KEY changes the derived key.
    const fromSecretKey = await loadTotpBox(kv, { totpEncryptionKeys: [], secretKey: "configured secret" });
    assert.notEqual(fromSecretKey.currentKeyId, derived.currentKeyId);
  });
});

Deno.test("production without TOTP_ENCRYPTION_KEY or SECRET_KEY warns that a copied database can decrypt", async () => {
  await withKv(async (kv) => {
    const warn = (lines: LogRecord[]) => lines.some((l) => l.level === "warn" && /TOTP_ENCRYPTION_KEY/.test(l.msg));
    const env = "production" as const;
    assert.ok(warn(
      await capturingLogs(async () => {
        await configureTotpEncryption(kv, { totpEncryptionKeys: [], secretKey: "", env });
      }),
    ));
    assert.ok(
      !warn(
        await capturingLogs(async () => {
          await configureTotpEncryption(kv, { totpEncryptionKeys: [KEY_A], secretKey: "", env });
        }),
      ),
    );
    assert.ok(
      !warn(
        await capturingLogs(async () => {
          await configureTotpEncryption(kv, { totpEncryptionKeys: [], secretKey: "s", env });
        }),
      ),
    );
  });
});

Deno.test("a pending enrolment secret is sealed apart from account secrets; unreadable means start over", async () => {
  await withKv(async (kv) => {
    await configure(kv, [KEY_A]);
    const user = await makeUser(kv, "ada@example.org");
    const secret = newTotpSecret();
    const pending = await sealPendingTotpSecret(kv, user.id, secret);
    assert.ok(pending.startsWith("v1:") && !pending.includes(secret));
    assert.equal(await openPendingTotpSecret(kv, user.id, pending), secret);
    // Not another person's, and not usable as the account's secret (different AAD).
    assert.equal(await openPendingTotpSecret(kv, "someone-else", pending), null);
    const asAccount = await openTotpSecret(kv, { id: user.id, totpSecret: pending }).catch((e) => e);
    assert.ok(asAccount instanceof SecretUnreadable);
    // A session from before encryption still holds it plain; after the key is gone, start over.
    assert.equal(await openPendingTotpSecret(kv, user.id, secret), secret);
    await configure(kv, [KEY_B]);
    assert.equal(await openPendingTotpSecret(kv, user.id, pending), null);
  });
});

Deno.test("a stored value that is neither sealed nor base32 is a clear refusal, not a crash", async () => {
  await withKv(async (kv) => {
    const user = await makeUser(kv, "ada@example.org");
    for (const bad of ["v2:abc:def:ghi", "not base32!", "v1:short"]) {
      const err = await openTotpSecret(kv, { id: user.id, totpSecret: bad }).catch((e) => e);
      assert.ok(err instanceof SecretUnreadable && err.reason === "malformed", `${bad}: got ${err}`);
      assert.equal(await openPendingTotpSecret(kv, user.id, bad), null);
    }
    assert.equal(await openTotpSecret(kv, { id: user.id, totpSecret: "JBSWY3DPEHPK3PXP" }), "JBSWY3DPEHPK3PXP");
  });
});
