import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { keys } from "./keys.ts";
import { createUser, getUser } from "./users.ts";
import { countRecoveryCodes } from "./recovery_codes.ts";
import {
  disableTwoFactor,
  enableTwoFactor,
  groupSecret,
  newTotpSecret,
  openTotpSecret,
  otpauthUri,
  totpCodeAt,
  totpStep,
  verifySecondFactor,
  verifyTotp,
} from "./totp.ts";

const STEP_MS = 30_000;
// Middle of a time step, so ±1 step never straddles a boundary by accident.
const NOW = 1_750_000_000_000 - (1_750_000_000_000 % STEP_MS) + STEP_MS / 2;

Deno.test("newTotpSecret is 160-bit base32 and otpauthUri carries issuer, label and parameters", () => {
  const secret = newTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.notEqual(secret, newTotpSecret());
  const uri = otpauthUri(secret, "ada@example.org");
  const parsed = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
  assert.ok(parsed instanceof OTPAuth.TOTP);
  assert.deepEqual(parsed.issuer, "Talkspace");
  assert.deepEqual(parsed.label, "ada@example.org");
  assert.deepEqual(parsed.algorithm, "SHA1");
  assert.deepEqual(parsed.digits, 6);
  assert.deepEqual(parsed.period, 30);
  assert.deepEqual(parsed.secret.base32, secret);
  assert.deepEqual(groupSecret("ABCDEFGHIJ"), "ABCD EFGH IJ");
});

Deno.test("verifyTotp accepts the current code and ±1 step, refuses ±2 steps and garbage", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const secret = newTotpSecret();
    // Each check uses its own person so replay protection does not interfere.
    assert.ok(await verifyTotp(kv, "u-now", secret, totpCodeAt(secret, NOW), NOW));
    assert.ok(await verifyTotp(kv, "u-prev", secret, totpCodeAt(secret, NOW - STEP_MS), NOW));
    assert.ok(await verifyTotp(kv, "u-next", secret, totpCodeAt(secret, NOW + STEP_MS), NOW));
    assert.deepEqual(await verifyTotp(kv, "u-prev2", secret, totpCodeAt(secret, NOW - 2 * STEP_MS), NOW), false);
    assert.deepEqual(await verifyTotp(kv, "u-next2", secret, totpCodeAt(secret, NOW + 2 * STEP_MS), NOW), false);
    assert.deepEqual(await verifyTotp(kv, "u-bad", secret, "12345", NOW), false);
    assert.deepEqual(await verifyTotp(kv, "u-bad", secret, "abcdef", NOW), false);
    assert.deepEqual((await kv.get(keys.totpLastStep("u-now"))).value, totpStep(NOW));
    assert.deepEqual((await kv.get(keys.totpLastStep("u-prev"))).value, totpStep(NOW) - 1);
    assert.deepEqual((await kv.get(keys.totpLastStep("u-prev2"))).value, null);
  } finally {
    kv.close();
  }
});

Deno.test("verifyTotp refuses a replayed code and any code not newer than the last accepted step", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const secret = newTotpSecret();
    const code = totpCodeAt(secret, NOW);
    assert.ok(await verifyTotp(kv, "u", secret, code, NOW));
    assert.deepEqual(await verifyTotp(kv, "u", secret, code, NOW), false, "same code again");
    assert.deepEqual(await verifyTotp(kv, "u", secret, code, NOW + STEP_MS), false, "same code a step later");
    const previous = totpCodeAt(secret, NOW - STEP_MS);
    assert.deepEqual(await verifyTotp(kv, "u", secret, previous, NOW), false, "older step after a newer one");
    assert.ok(await verifyTotp(kv, "u", secret, totpCodeAt(secret, NOW + STEP_MS), NOW + STEP_MS), "next step works");
  } finally {
    kv.close();
  }
});

Deno.test("verifyTotp: of concurrent uses of one code exactly one wins", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const secret = newTotpSecret();
    const code = totpCodeAt(secret, NOW);
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyTotp(kv, "u", secret, code, NOW)));
    assert.deepEqual(results.filter(Boolean).length, 1);
  } finally {
    kv.close();
  }
});

Deno.test("enableTwoFactor and disableTwoFactor switch secret, recovery codes and last step together", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const user = await createUser(kv, { name: "Ada", email: "ada@example.org", passwordHash: "x" });
    const secret = newTotpSecret();
    const enabled = await enableTwoFactor(kv, user.id, secret);
    assert.deepEqual(await openTotpSecret(kv, enabled!.user), secret);
    assert.deepEqual(enabled?.recoveryCodes.length, 10);
    assert.deepEqual(await openTotpSecret(kv, (await getUser(kv, user.id))!), secret);
    assert.deepEqual(await countRecoveryCodes(kv, user.id), 10);

    const fresh = (await getUser(kv, user.id))!;
    assert.deepEqual(await verifySecondFactor(kv, fresh, totpCodeAt(secret, NOW), NOW), "totp");
    assert.deepEqual(await verifySecondFactor(kv, fresh, enabled!.recoveryCodes[0].toUpperCase(), NOW), "recovery");
    assert.deepEqual(await verifySecondFactor(kv, fresh, enabled!.recoveryCodes[0], NOW), null);
    assert.deepEqual(await verifySecondFactor(kv, fresh, "000000", NOW), null);

    await disableTwoFactor(kv, user.id);
    assert.deepEqual((await getUser(kv, user.id))?.totpSecret, null);
    assert.deepEqual(await countRecoveryCodes(kv, user.id), 0);
    assert.deepEqual((await kv.get(keys.totpLastStep(user.id))).versionstamp, null);
  } finally {
    kv.close();
  }
});
