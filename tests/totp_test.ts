// Two-factor sign-in end to end through the app: enrollment, the sign-in step, rate limits, turning off.

import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { hashPassword } from "../lib/accounts/password.ts";
import { countRecoveryCodes } from "../lib/accounts/recovery_codes.ts";
import { enableTwoFactor, newTotpSecret, openTotpSecret, resealTotpSecrets, totpCodeAt } from "../lib/accounts/totp.ts";
import { keys } from "../lib/accounts/keys.ts";
import { SecretBox } from "../lib/common/secret_box.ts";
import { type LogRecord, setLogSink } from "../lib/common/log.ts";
import { createSession, getSession } from "../lib/accounts/sessions.ts";
import { createUser, getUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";

const PASSWORD = "correct horse battery staple";
let passwordHash: string | undefined;

async function makeUser(t: TestApp, email = "ada@example.org"): Promise<User> {
  passwordHash ??= await hashPassword(PASSWORD);
  return await createUser(t.kv, { name: "Ada", email, passwordHash });
}

/** A client holding a session cookie of the given stage, as /signin would leave it. */
async function clientWithSession(t: TestApp, user: User, stage: "full" | "totp"): Promise<TestClient> {
  const client = t.client();
  const { token } = await createSession(t.kv, user.id, stage);
  client.cookies.set("ts_session", token);
  return client;
}

function unescapeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function secretFromPage(html: string): { uri: string; secret: string } {
  const m = /data-otpauth-uri="([^"]+)"/.exec(html);
  assert.ok(m, "no data-otpauth-uri on the enrollment page");
  const uri = unescapeHtml(m[1]);
  const parsed = OTPAuth.URI.parse(uri);
  assert.ok(parsed instanceof OTPAuth.TOTP, "the otpauth URI is not a TOTP URI");
  return { uri, secret: parsed.secret.base32 };
}

/** A 6-digit code that is certainly not valid for `secret` anywhere near now. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const near = new Set([-2, -1, 0, 1, 2].map((k) => totpCodeAt(secret, now + k * 30_000)));
  let n = 0;
  while (near.has(String(n).padStart(6, "0"))) n++;
  return String(n).padStart(6, "0");
}

Deno.test("enrollment page shows a QR code, the key and a parsable otpauth URI; restarting changes the key", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const client = await clientWithSession(t, user, "full");
    const res = await client.get("/account/totp");
    assert.equal(res.status, 200);
    const html = await res.text();
    const { uri, secret } = secretFromPage(html);
    const parsed = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
    assert.deepEqual(
      [parsed.issuer, parsed.label, parsed.algorithm, parsed.digits, parsed.period],
      ["Talkspace", "ada@example.org", "SHA1", 6, 30],
    );
    assert.ok(html.includes(secret.match(/.{1,4}/g)!.join(" ")), "the key is not shown in groups of four");
    const img = /<img src="data:image\/svg\+xml;base64,([^"]+)"/.exec(html);
    assert.ok(img, "no SVG QR code image");
    const svg = atob(img[1]);
    assert.ok(svg.startsWith("<svg") && svg.includes("<path"), "the QR image is not an SVG drawing");
    assert.ok(!/style=/i.test(svg), "the SVG carries a style attribute");
    assert.ok(!/style=/i.test(html), "the page carries an inline style attribute");
    assert.ok(html.includes('"text":"' + secret + '","label":"Copy key"'), "no copy button for the key");

    // The pending key stays put across reloads and is not on the account yet.
    assert.equal(secretFromPage(await (await client.get("/account/totp")).text()).secret, secret);
    assert.equal((await getUser(t.kv, user.id))?.totpSecret, null);

    const restarted = await client.postForm("/account/totp", {});
    assert.equal(restarted.status, 200);
    const fresh = secretFromPage(await restarted.text()).secret;
    assert.ok(fresh !== secret, "starting over kept the old key");
    assert.equal(secretFromPage(await (await client.get("/account/totp")).text()).secret, fresh);
  } finally {
    t.close();
  }
});

Deno.test("confirming enrollment: a wrong code is 422, the right code turns it on and shows 10 codes once", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const client = await clientWithSession(t, user, "full");
    const { secret } = secretFromPage(await (await client.get("/account/totp")).text());

    const wrong = await client.postForm("/account/totp/confirm", { code: wrongCode(secret) });
    assert.equal(wrong.status, 422);
    const wrongHtml = await wrong.text();
    assert.ok(wrongHtml.includes("That code does not match"), "no field message for a wrong code");
    assert.ok(wrongHtml.includes('aria-invalid="true"'), "the code field is not marked invalid");
    assert.equal((await getUser(t.kv, user.id))?.totpSecret, null);

    const notDigits = await client.postForm("/account/totp/confirm", { code: "abcde-fghij" });
    assert.equal(notDigits.status, 422, "a recovery-code shape cannot confirm enrollment");

    const ok = await client.postForm("/account/totp/confirm", { code: totpCodeAt(secret) });
    assert.equal(ok.status, 200);
    const html = await ok.text();
    const codes = [...html.matchAll(/<code>([a-z2-7]{5}-[a-z2-7]{5})<\/code>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    assert.ok(html.includes("shown only this once"));
    assert.ok(html.includes(JSON.stringify(codes.join("\n"))), "no copy button for the codes");
    assert.equal(await openTotpSecret(t.kv, (await getUser(t.kv, user.id))!), secret);
    assert.equal(await countRecoveryCodes(t.kv, user.id), 10);
    assert.equal((await getSession(t.kv, client.cookies.get("ts_session")!))?.session.pendingTotpSecret, undefined);

    // Now the page shows the status instead of the codes or the key.
    const status = await (await client.get("/account/totp")).text();
    assert.ok(status.includes("Two-factor sign-in is on"));
    assert.ok(status.includes("10 of 10 recovery codes left"));
    assert.ok(!status.includes(secret) && !status.includes(codes[0]), "status page reveals a secret");
    assert.ok(!status.includes("data-otpauth-uri"));
  } finally {
    t.close();
  }
});

Deno.test("enrollment and two-factor settings need a signed-in browser session", async () => {
  const t = await makeTestApp();
  try {
    const anon = await t.client().get("/account/totp");
    assert.equal(anon.status, 303);
    assert.equal(anon.headers.get("location"), "/signin?next=%2Faccount%2Ftotp");
    const user = await makeUser(t);
    const half = await clientWithSession(t, user, "totp");
    assert.equal((await half.get("/account/totp")).status, 303, "a half-signed-in session is not enough");
  } finally {
    t.close();
  }
});

Deno.test("sign-in step: a code completes sign-in with a new session; a replayed code is refused", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const secret = newTotpSecret();
    await enableTwoFactor(t.kv, user.id, secret);

    assert.equal((await t.client().get("/signin/totp")).headers.get("location"), "/signin");

    const client = await clientWithSession(t, user, "totp");
    const halfToken = client.cookies.get("ts_session")!;
    const page = await client.get("/signin/totp?next=%2Fmeetings%2Fabc");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.ok(html.includes('inputmode="numeric"') && html.includes('autocomplete="one-time-code"'));
    assert.ok(html.includes('action="/signin/totp?next=%2Fmeetings%2Fabc"'));
    assert.equal((await client.get("/dashboard")).status, 303, "half-signed-in must not reach the dashboard");

    const code = totpCodeAt(secret);
    const res = await client.postForm("/signin/totp?next=%2Fmeetings%2Fabc", { code });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/meetings/abc");
    const fullToken = client.cookies.get("ts_session")!;
    assert.ok(fullToken !== halfToken, "the session token was not rotated");
    assert.equal(await getSession(t.kv, halfToken), null, "the half-signed-in session still exists");
    assert.equal((await getSession(t.kv, fullToken))?.session.stage, "full");
    assert.equal((await client.get("/dashboard")).status, 200);

    // Someone who saw that code cannot use it for another sign-in.
    const other = await clientWithSession(t, user, "totp");
    const replay = await other.postForm("/signin/totp", { code });
    assert.equal(replay.status, 422);
    assert.ok((await replay.text()).includes("already used"));

    // An open redirect through `next` is not followed.
    const next = totpCodeAt(secret, Date.now() + 30_000);
    const evil = await other.postForm("/signin/totp?next=%2F%2Fevil.example", { code: next });
    assert.equal(evil.headers.get("location"), "/dashboard");
  } finally {
    t.close();
  }
});

Deno.test("sign-in step: a recovery code works once and leads to the remaining-codes notice", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const enabled = (await enableTwoFactor(t.kv, user.id, newTotpSecret()))!;
    const recovery = enabled.recoveryCodes[3];

    const first = await clientWithSession(t, user, "totp");
    const res = await first.postForm("/signin/totp", { code: recovery.toUpperCase() });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/account/totp?notice=recovery-used");
    const status = await (await first.get("/account/totp?notice=recovery-used")).text();
    assert.ok(status.includes("signed in with a recovery code"));
    assert.ok(status.includes("9 of 10 recovery codes left"));

    const second = await clientWithSession(t, user, "totp");
    assert.equal((await second.postForm("/signin/totp", { code: recovery })).status, 422);
    assert.equal(await countRecoveryCodes(t.kv, user.id), 9);
  } finally {
    t.close();
  }
});

Deno.test("sign-in step: 10 wrong codes, then 429 with Retry-After even for the right code", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const secret = newTotpSecret();
    await enableTwoFactor(t.kv, user.id, secret);
    const client = await clientWithSession(t, user, "totp");
    const bad = wrongCode(secret);
    for (let i = 0; i < 10; i++) {
      assert.equal((await client.postForm("/signin/totp", { code: bad })).status, 422, `attempt ${i + 1}`);
    }
    const limited = await client.postForm("/signin/totp", { code: totpCodeAt(secret) });
    assert.equal(limited.status, 429);
    const retry = Number(limited.headers.get("retry-after"));
    assert.ok(retry > 0 && retry <= 15 * 60, `Retry-After ${retry}`);
    assert.equal((await client.get("/dashboard")).status, 303, "still not signed in");
  } finally {
    t.close();
  }
});

Deno.test("turning two-factor off needs both the password and a code", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const secret = newTotpSecret();
    const enabled = (await enableTwoFactor(t.kv, user.id, secret))!;
    const client = await clientWithSession(t, user, "full");

    const noCode = await client.postForm("/account/totp/disable", { password: PASSWORD });
    assert.equal(noCode.status, 422);
    const noPassword = await client.postForm("/account/totp/disable", { code: totpCodeAt(secret) });
    assert.equal(noPassword.status, 422);
    const wrongPassword = await client.postForm("/account/totp/disable", {
      password: "not the password",
      code: enabled.recoveryCodes[0],
    });
    assert.equal(wrongPassword.status, 422);
    assert.ok((await wrongPassword.text()).includes("That password is not right"));
    assert.equal(await countRecoveryCodes(t.kv, user.id), 10, "a wrong password used up a recovery code");
    const wrongCodeRes = await client.postForm("/account/totp/disable", {
      password: PASSWORD,
      code: wrongCode(secret),
    });
    assert.equal(wrongCodeRes.status, 422);
    assert.equal(
      await openTotpSecret(t.kv, (await getUser(t.kv, user.id))!),
      secret,
      "turned off without both factors",
    );

    const ok = await client.postForm("/account/totp/disable", { password: PASSWORD, code: totpCodeAt(secret) });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get("location"), "/account/totp?notice=disabled");
    assert.equal((await getUser(t.kv, user.id))?.totpSecret, null);
    assert.equal(await countRecoveryCodes(t.kv, user.id), 0);
  } finally {
    t.close();
  }
});

Deno.test("regenerating recovery codes needs a code and replaces the old ones", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const secret = newTotpSecret();
    const enabled = (await enableTwoFactor(t.kv, user.id, secret))!;
    const client = await clientWithSession(t, user, "full");
    assert.equal((await client.postForm("/account/totp/recovery-codes", { code: wrongCode(secret) })).status, 422);
    const res = await client.postForm("/account/totp/recovery-codes", { code: totpCodeAt(secret) });
    assert.equal(res.status, 200);
    const codes = [...(await res.text()).matchAll(/<code>([a-z2-7]{5}-[a-z2-7]{5})<\/code>/g)].map((m) => m[1]);
    assert.equal(codes.length, 10);
    assert.ok(!codes.includes(enabled.recoveryCodes[0]));
    const half = await clientWithSession(t, user, "totp");
    assert.equal((await half.postForm("/signin/totp", { code: enabled.recoveryCodes[0] })).status, 422);
    assert.equal((await half.postForm("/signin/totp", { code: codes[0] })).status, 303);
  } finally {
    t.close();
  }
});

// ---------------------------------------------------------------------------------------------
// Secrets at rest: what a copy of the database holds

/** Every key and value in the store as text (bigints and bytes included), for "is it anywhere?". */
async function dumpKv(kv: TestApp["kv"]): Promise<string> {
  const parts: string[] = [];
  for await (const e of kv.list({ prefix: [] })) {
    parts.push(JSON.stringify([e.key, e.value], (_k, v) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return new TextDecoder().decode(v);
      if (v instanceof Deno.KvU64) return v.value.toString();
      return v;
    }));
  }
  return parts.join("\n");
}

Deno.test("at rest: enrolled through the app, KV holds the secret only sealed, and its code signs in", async () => {
  const t = await makeTestApp();
  const logs: LogRecord[] = [];
  setLogSink((r) => logs.push(r));
  try {
    const user = await makeUser(t);
    const client = await clientWithSession(t, user, "full");
    const { secret } = secretFromPage(await (await client.get("/account/totp")).text());
    const pending = await dumpKv(t.kv);
    assert.ok(!pending.includes(secret), "the pending secret is in KV in plain text during enrolment");
    assert.equal((await client.postForm("/account/totp/confirm", { code: totpCodeAt(secret) })).status, 200);

    const stored = (await t.kv.get<User>(keys.user(user.id))).value!.totpSecret!;
    assert.notEqual(stored, secret);
    assert.match(stored, /^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/);
    assert.ok(!/^[A-Z2-7]+=*$/.test(stored), "the stored value looks like base32");
    const all = await dumpKv(t.kv);
    assert.ok(!all.includes(secret), "the secret is somewhere in KV in plain text");
    assert.ok(!all.toLowerCase().includes(secret.toLowerCase()), "the secret is in KV in lower case");

    // Nothing after enrolment shows it again, plain or sealed (the first account is the admin).
    assert.equal(user.role, "admin");
    const pages = ["/account/totp", "/account", "/dashboard", "/api/v1/me", "/admin/users", `/admin/users/${user.id}`];
    for (const path of pages) {
      const res = await client.get(path);
      assert.ok(res.status < 400, `${path} answered ${res.status}`);
      const body = await res.text();
      assert.ok(!body.includes(secret), `${path} shows the secret`);
      assert.ok(!body.includes(stored.split(":")[3]), `${path} shows the sealed secret`);
    }

    const half = await clientWithSession(t, user, "totp");
    const signIn = await half.postForm("/signin/totp", { code: totpCodeAt(secret, Date.now() + 30_000) });
    assert.equal(signIn.status, 303);
    assert.equal(signIn.headers.get("location"), "/dashboard");
    assert.equal((await half.get("/dashboard")).status, 200);
    assert.ok(!JSON.stringify(logs).includes(secret), "a log line carries the secret");
  } finally {
    setLogSink(null);
    t.close();
  }
});

Deno.test("at rest: a plain secret from before encryption still signs in and is sealed after sign-in or the backfill", async () => {
  const t = await makeTestApp();
  try {
    const ada = await makeUser(t, "ada@example.org");
    const bob = await makeUser(t, "bob@example.org");
    const adaSecret = newTotpSecret();
    const bobSecret = newTotpSecret();
    // As an install from before encryption left them.
    await t.kv.set(keys.user(ada.id), { ...ada, totpSecret: adaSecret });
    await t.kv.set(keys.user(bob.id), { ...bob, totpSecret: bobSecret });

    const adaClient = await clientWithSession(t, ada, "totp");
    assert.equal((await adaClient.postForm("/signin/totp", { code: totpCodeAt(adaSecret) })).status, 303);
    const adaStored = (await getUser(t.kv, ada.id))!.totpSecret!;
    assert.ok(adaStored.startsWith("v1:") && !adaStored.includes(adaSecret), "not sealed after a good sign-in");
    assert.equal((await getUser(t.kv, bob.id))!.totpSecret, bobSecret, "an account that did not sign in changed");

    const report = await resealTotpSecrets(t.kv);
    assert.equal(report.rewritten, 1);
    assert.equal(report.unreadable, 0);
    const bobStored = (await getUser(t.kv, bob.id))!.totpSecret!;
    assert.ok(bobStored.startsWith("v1:") && !bobStored.includes(bobSecret), "not sealed by the backfill");
    assert.ok(!(await dumpKv(t.kv)).includes(bobSecret));

    const bobClient = await clientWithSession(t, bob, "totp");
    assert.equal((await bobClient.postForm("/signin/totp", { code: totpCodeAt(bobSecret) })).status, 303);
  } finally {
    t.close();
  }
});

Deno.test("at rest: a secret no key opens answers 503 with a message a person can act on; a recovery code still works", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t);
    const secret = newTotpSecret();
    const { recoveryCodes } = (await enableTwoFactor(t.kv, user.id, secret))!;
    // Sealed under a key this install does not have (a lost TOTP_ENCRYPTION_KEY).
    const foreign = await (await SecretBox.fromKeys([new Uint8Array(32).fill(7)])).seal(secret, user.id);
    await t.kv.set(keys.user(user.id), { ...(await getUser(t.kv, user.id))!, totpSecret: foreign });

    const client = await clientWithSession(t, user, "totp");
    const res = await client.postForm("/signin/totp", { code: totpCodeAt(secret) });
    assert.equal(res.status, 503);
    const html = await res.text();
    assert.ok(html.includes("use a recovery code"), "the page does not say what to do");
    assert.ok(!html.includes(secret) && !html.includes(foreign), "the page shows the secret");
    const ok = await client.postForm("/signin/totp", { code: recoveryCodes[0] });
    assert.equal(ok.status, 303);
  } finally {
    t.close();
  }
});
