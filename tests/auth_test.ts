// Sign-up, email verification, sign-in (rate limits, cookies, rotation, disabled accounts, CSRF),
// sign-out and password recovery, in-process against an in-memory KV.

import { ADDRESS_RULE } from "../lib/common/rate_limit.ts";
import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { keys } from "../lib/accounts/keys.ts";
import { issueToken } from "../lib/accounts/one_time_tokens.ts";
import { getSession } from "../lib/accounts/sessions.ts";
import { getUserByEmail, updateUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";
import { hashToken } from "../lib/common/ids.ts";
import { poll } from "./support/wait.ts";

const PASSWORD = "correct horse battery";

async function signUp(c: TestClient, name: string, email: string, password = PASSWORD): Promise<Response> {
  const res = await c.postForm("/signup", { name, email, password });
  await res.body?.cancel();
  return res;
}

async function signIn(c: TestClient, email: string, password = PASSWORD, extra: Record<string, string> = {}) {
  return await c.postForm("/signin", { email, password, ...extra });
}

/** A person with an account (its confirmation email delivered), signed out on a fresh client. */
async function person(t: TestApp, name: string, email: string): Promise<{ client: TestClient; user: User }> {
  const res = await signUp(t.client(), name, email);
  assert.equal(res.status, 303, "sign-up succeeds");
  await t.mailer.arrival(email, /^Confirm your email/);
  return { client: t.client(), user: (await getUserByEmail(t.kv, email))! };
}

/** How many password-reset links are stored (a queued reset email always comes with one). */
async function resetTokens(t: TestApp): Promise<number> {
  let n = 0;
  for await (const _ of t.kv.list({ prefix: ["one_time_tokens", "reset_password"] })) n++;
  return n;
}

/** True when the client's cookie gives a fully signed-in page. */
async function signedIn(c: TestClient): Promise<boolean> {
  const res = await c.get("/dashboard");
  await res.body?.cancel();
  return res.status === 200;
}

Deno.test("sign-up validation errors: 422 with field messages, typed values kept, nothing saved", async () => {
  const t = await makeTestApp();
  const c = t.client();
  const res = await c.postForm("/signup", { name: "  ", email: "ada@@example", password: "short-pw" });
  assert.equal(res.status, 422);
  const html = await res.text();
  assert.match(html, /Enter your name/);
  assert.match(html, /Enter a valid email address/);
  assert.match(html, /Use at least 10 characters/);
  assert.match(html, /value="ada@@example"/, "the typed email is kept");
  assert.doesNotMatch(html, /short-pw/, "the password is never echoed");
  assert.match(html, /aria-invalid="true"/);
  let stored = 0;
  for await (const _ of t.kv.list({ prefix: ["users"] })) stored++;
  assert.equal(stored, 0, "no account was stored");
  assert.equal(t.mailer.sent.length, 0, "no email was sent");
  t.close();
});

Deno.test("sign-up: first account is admin, next is a user, ADMIN_EMAIL is admin; email in use changes nothing", async () => {
  const t = await makeTestApp({ ADMIN_EMAIL: "Boss@Example.org" });
  const c = t.client();
  const res = await c.postForm("/signup", { name: "Ada", email: "ada@example.org", password: PASSWORD });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/signup?notice=check-email");
  assert.ok(!(await signedIn(c)), "sign-up signs no one in: the address is confirmed first, then the person signs in");
  assert.match(await (await c.get("/signup?notice=check-email")).text(), /Check your email to confirm your address/);
  assert.equal((await getUserByEmail(t.kv, "ada@example.org"))?.role, "admin");
  assert.ok(await signedIn((await signIn(c, "ada@example.org"), c)), "the new account signs in with its password");

  assert.equal((await signUp(t.client(), "Bob", "bob@example.org")).status, 303);
  assert.equal((await getUserByEmail(t.kv, "bob@example.org"))?.role, "user");

  assert.equal((await signUp(t.client(), "Boss", "boss@example.org")).status, 303);
  assert.equal((await getUserByEmail(t.kv, "boss@example.org"))?.role, "admin");

  const dup = await t.client().postForm("/signup", {
    name: "Other",
    email: "ADA@example.org",
    password: "other password",
  });
  assert.equal(dup.status, 303);
  assert.equal(dup.headers.get("location"), "/signup?notice=check-email", "the same answer as for a new address");
  assert.equal((await getUserByEmail(t.kv, "ada@example.org"))?.name, "Ada", "the first account is untouched");
  assert.equal((await signIn(t.client(), "ada@example.org", "other password")).status, 422);
  t.close();
});

Deno.test("email verification link works once, and not after the address changed", async () => {
  const t = await makeTestApp();
  const { user } = await person(t, "Ada", "ada@example.org");
  assert.equal(user.emailVerified, false);
  const link = t.mailer.link("ada@example.org", "/verify/");
  assert.equal(t.mailer.sent.length, 1, "one confirmation email");
  assert.ok(link.startsWith(`${t.config.publicUrl}/verify/`));
  const mail = t.mailer.last("ada@example.org");
  assert.ok(mail.html.includes(link) && mail.subject.length > 0, "the HTML part carries the link too");

  const first = await t.client().get(link);
  assert.equal(first.status, 200);
  assert.match(await first.text(), /Email address confirmed/);
  assert.equal((await getUserByEmail(t.kv, "ada@example.org"))?.emailVerified, true);

  const again = await t.client().get(link);
  assert.equal(again.status, 410);
  assert.match(await again.text(), /expired or was already used[\s\S]*href="\/account\/verify"/);

  // A link for an address the account no longer uses does nothing.
  const stale = await issueToken(t.kv, "verify_email", { userId: user.id, email: "old@example.org" }, 60_000);
  await updateUser(t.kv, user.id, () => ({ emailVerified: false }));
  const res = await t.client().get(`/verify/${stale}`);
  assert.equal(res.status, 410);
  await res.body?.cancel();
  assert.equal((await getUserByEmail(t.kv, "ada@example.org"))?.emailVerified, false);
  t.close();
});

Deno.test("emails escape what people typed in the HTML part", async () => {
  const t = await makeTestApp();
  await person(t, "Ada <img src=x onerror=alert(1)>", "ada@example.org");
  const mail = t.mailer.last("ada@example.org");
  assert.ok(!mail.html.includes("<img"), "no markup from the name reaches the HTML");
  assert.match(mail.html, /Ada &#60;img src=x onerror=alert\(1\)&#62;/);
  assert.match(mail.text, /Hello Ada <img/, "the text part is plain text");
  t.close();
});

Deno.test("sign-in: wrong password and unknown email get the same 422 answer; the right one signs in", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  const c = t.client();
  const wrong = await signIn(c, "ada@example.org", "not the password");
  assert.equal(wrong.status, 422);
  const wrongHtml = await wrong.text();
  assert.match(wrongHtml, /The email or password is incorrect/);
  assert.match(wrongHtml, /value="ada@example.org"/);
  assert.doesNotMatch(wrongHtml, /not the password/);
  const unknown = await signIn(c, "nobody@example.org", "not the password");
  assert.equal(unknown.status, 422);
  assert.match(await unknown.text(), /The email or password is incorrect/);
  assert.ok(!(await signedIn(c)));

  const ok = await signIn(c, "ADA@example.org");
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/dashboard");
  assert.ok(await signedIn(c));
  t.close();
});

Deno.test("sign-in: 10 wrong passwords for one account, then 429 with Retry-After even with the right one", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  for (let i = 0; i < 10; i++) {
    const res = await signIn(t.client(), "ada@example.org", `wrong ${i}`);
    assert.equal(res.status, 422, `attempt ${i + 1}`);
    await res.body?.cancel();
  }
  const blocked = await signIn(t.client(), "ada@example.org");
  assert.equal(blocked.status, 429);
  const retry = Number(blocked.headers.get("retry-after"));
  assert.ok(retry > 0 && retry <= 15 * 60, `Retry-After is within the window, got ${retry}`);
  await blocked.body?.cancel();
  t.close();
});

Deno.test("sign-in: the address's limit of failures with different emails, then 429 for any email", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  for (let i = 0; i < ADDRESS_RULE.max; i++) {
    const res = await signIn(t.client(), `guess${i}@example.org`, "whatever123");
    assert.equal(res.status, 422, `attempt ${i + 1}`);
    await res.body?.cancel();
  }
  const blocked = await signIn(t.client(), "ada@example.org");
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  await blocked.body?.cancel();
  t.close();
});

Deno.test("session cookie: HttpOnly and SameSite=Lax; __Host- prefix with Secure over HTTPS", async () => {
  for (
    const [url, name, secure] of [["http://localhost:8000", "ts_session", false], [
      "https://meet.example",
      "__Host-ts_session",
      true,
    ]] as const
  ) {
    const t = await makeTestApp({ PUBLIC_URL: url });
    const c = t.client();
    await person(t, "Ada", "ada@example.org");
    const res = await signIn(c, "ada@example.org");
    assert.equal(res.status, 303);
    const line = res.headers.getSetCookie().find((l) => l.startsWith(`${name}=`));
    assert.ok(line, `a ${name} cookie is set for ${url}: ${res.headers.getSetCookie().join(" | ")}`);
    assert.match(line, /;\s*HttpOnly/i);
    assert.match(line, /;\s*SameSite=Lax/i);
    assert.match(line, /;\s*Path=\//i);
    assert.equal(/;\s*Secure/i.test(line), secure, `Secure for ${url}`);
    assert.doesNotMatch(line, /;\s*Domain=/i);
    assert.ok(await signedIn(c));
    t.close();
  }
});

Deno.test("sign-in rotates the session: the token from before no longer works", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  const c = t.client();
  assert.equal((await signIn(c, "ada@example.org")).status, 303);
  const before = c.cookies.get("ts_session")!;
  assert.ok(before && (await getSession(t.kv, before)));

  assert.equal((await signIn(c, "ada@example.org")).status, 303);
  const after = c.cookies.get("ts_session")!;
  assert.ok(after && after !== before, "a new token is issued");
  assert.equal(await getSession(t.kv, before), null, "the old session was ended");
  const old = t.client();
  old.cookies.set("ts_session", before);
  assert.ok(!(await signedIn(old)), "the old token does not sign anyone in");
  assert.ok(await signedIn(c));
  t.close();
});

Deno.test("sign-in with two-factor on: a half-signed-in session and the TOTP step, with next passed along", async () => {
  const t = await makeTestApp();
  const { user } = await person(t, "Ada", "ada@example.org");
  await updateUser(t.kv, user.id, () => ({ totpSecret: "JBSWY3DPEHPK3PXP" }));
  const c = t.client();
  const res = await signIn(c, "ada@example.org", PASSWORD, { next: "/account?tab=1" });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/signin/totp?next=%2Faccount%3Ftab%3D1");
  const found = await getSession(t.kv, c.cookies.get("ts_session")!);
  assert.equal(found?.session.stage, "totp");
  assert.ok(!(await signedIn(c)), "the password alone does not sign in");
  t.close();
});

Deno.test("sign-in follows a local next and ignores anything else", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  const cases: [string, string][] = [
    ["/account", "/account"],
    ["/meetings/01ABC?x=1", "/meetings/01ABC?x=1"],
    ["//evil.example/", "/dashboard"],
    ["/\\evil.example", "/dashboard"],
    ["https://evil.example/", "/dashboard"],
    ["javascript:alert(1)", "/dashboard"],
    ["", "/dashboard"],
  ];
  for (const [next, expected] of cases) {
    const res = await signIn(t.client(), "ada@example.org", PASSWORD, { next });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), expected, `next=${next}`);
  }
  const page = await t.client().get("/signin?next=%2Faccount");
  assert.match(await page.text(), /<input type="hidden" name="next" value="\/account"/);
  const evil = await t.client().get("/signin?next=%2F%2Fevil.example");
  assert.doesNotMatch(await evil.text(), /evil\.example/);
  t.close();
});

Deno.test("GET /signin when signed in goes to the dashboard; sign-out ends the session", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  const c = t.client();
  await signIn(c, "ada@example.org");
  const token = c.cookies.get("ts_session")!;
  const page = await c.get("/signin");
  assert.equal(page.status, 303);
  assert.equal(page.headers.get("location"), "/dashboard");

  const out = await c.postForm("/signout", {});
  assert.equal(out.status, 303);
  assert.equal(out.headers.get("location"), "/");
  assert.equal(c.cookies.get("ts_session"), undefined, "the cookie is cleared");
  assert.equal(await getSession(t.kv, token), null, "the session is gone from KV");
  assert.equal((await c.get("/signin")).status, 200);
  t.close();
});

Deno.test("a disabled account cannot sign in, even with the right password", async () => {
  const t = await makeTestApp();
  const { user } = await person(t, "Ada", "ada@example.org");
  await updateUser(t.kv, user.id, () => ({ disabled: true }));
  const c = t.client();
  const res = await signIn(c, "ada@example.org");
  assert.equal(res.status, 403);
  assert.match(await res.text(), /This account has been disabled by an administrator/);
  assert.equal(c.cookies.get("ts_session"), undefined);
  const wrong = await signIn(c, "ada@example.org", "wrong password");
  assert.equal(wrong.status, 422, "a wrong password says nothing about the account's state");
  await wrong.body?.cancel();
  t.close();
});

Deno.test("CSRF: foreign Origin 403, no Origin and no token 403, no Origin with the form token passes", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  const c = t.client();
  await (await c.get("/signin")).body?.cancel();
  const csrf = c.cookies.get("ts_csrf");
  assert.ok(csrf, "GET /signin sets the CSRF cookie");
  const body = { email: "ada@example.org", password: PASSWORD };

  const foreign = await c.postForm("/signin", body, { origin: "https://evil.example" });
  assert.equal(foreign.status, 403);
  await foreign.body?.cancel();

  const post = (fields: Record<string, string>) =>
    c.request("/signin", {
      method: "POST",
      body: new URLSearchParams(fields).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  const bare = await post(body);
  assert.equal(bare.status, 403);
  await bare.body?.cancel();
  const forged = await post({ ...body, _csrf: "x".repeat(32) });
  assert.equal(forged.status, 403);
  await forged.body?.cancel();
  assert.equal(c.cookies.get("ts_session"), undefined, "nothing signed in so far");

  const ok = await post({ ...body, _csrf: csrf });
  assert.equal(ok.status, 303);
  assert.ok(await signedIn(c));
  t.close();
});

Deno.test("reset: the same answer for unknown and known emails; only real accounts get a link", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  const before = t.mailer.sent.length;
  const unknown = await t.client().postForm("/reset", { email: "nobody@example.org" });
  const known = await t.client().postForm("/reset", { email: "ada@example.org" });
  assert.equal(unknown.status, 303);
  assert.equal(known.status, 303);
  assert.equal(unknown.headers.get("location"), known.headers.get("location"));
  assert.equal(await unknown.text(), await known.text());
  await t.mailer.arrival("ada@example.org", /^Reset your Talkspace password$/);
  assert.equal(await resetTokens(t), 1, "one link, for the real account");
  assert.equal(t.mailer.sent.length, before + 1, "one email, to the real account");
  const page = await t.client().get(unknown.headers.get("location")!);
  assert.match(await page.text(), /If an account exists for that address, we have sent a link/);

  const invalid = await t.client().postForm("/reset", { email: "not an email" });
  assert.equal(invalid.status, 422);
  assert.match(await invalid.text(), /Enter a valid email address/);
  t.close();
});

Deno.test("reset: the link sets a new password once and ends every session", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  const laptop = t.client();
  const phone = t.client();
  await signIn(laptop, "ada@example.org");
  await signIn(phone, "ada@example.org");
  assert.ok((await signedIn(laptop)) && (await signedIn(phone)));

  await t.client().postForm("/reset", { email: "ada@example.org" });
  await t.mailer.arrival("ada@example.org", /^Reset/);
  const link = t.mailer.link("ada@example.org", "/reset/");
  const path = new URL(link).pathname;
  const stranger = t.client();
  const form = await stranger.get(path);
  assert.equal(form.status, 200);
  assert.match(await form.text(), new RegExp(`action="${path}"`));

  const short = await stranger.postForm(path, { password: "short" });
  assert.equal(short.status, 422, "a too-short password is refused without using the link up");
  assert.match(await short.text(), /Use at least 10 characters/);

  const done = await stranger.postForm(path, { password: "a brand new passphrase" });
  assert.equal(done.status, 303);
  assert.equal(done.headers.get("location"), "/signin?notice=password-reset");
  const notice = await stranger.get("/signin?notice=password-reset");
  assert.match(await notice.text(), /Your password has been changed/);

  assert.ok(!(await signedIn(laptop)) && !(await signedIn(phone)), "every session ended");
  let sessions = 0;
  for await (const _ of t.kv.list({ prefix: ["sessions"] })) sessions++;
  assert.equal(sessions, 0);

  const reused = await stranger.postForm(path, { password: "another new passphrase" });
  assert.equal(reused.status, 410);
  const reusedHtml = await reused.text();
  assert.match(reusedHtml, /This link is no longer valid/);
  assert.match(reusedHtml, /This link has expired or was already used/);
  assert.match(reusedHtml, /href="\/reset"/);
  assert.equal((await stranger.get(path)).status, 410);

  assert.equal((await signIn(t.client(), "ada@example.org")).status, 422, "the old password is gone");
  assert.equal((await signIn(t.client(), "ada@example.org", "a brand new passphrase")).status, 303);
  t.close();
});

Deno.test("reset: an expired link is refused and changes nothing", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  await t.client().postForm("/reset", { email: "ada@example.org" });
  await t.mailer.arrival("ada@example.org", /^Reset/);
  const link = t.mailer.link("ada@example.org", "/reset/");
  const token = new URL(link).pathname.split("/").pop()!;
  // Age the stored token: the same entry, with an expiry in the past.
  const key = keys.oneTimeToken("reset_password", await hashToken(token));
  const entry = await t.kv.get<{ data: unknown; expiresAt: number }>(key);
  assert.ok(entry.value, "the reset token is stored by its hash");
  await t.kv.set(key, { ...entry.value, expiresAt: Date.now() - 1000 });

  const page = await t.client().get(new URL(link).pathname);
  assert.equal(page.status, 410);
  assert.match(await page.text(), /expired or was already used/);
  const post = await t.client().postForm(new URL(link).pathname, { password: "a brand new passphrase" });
  assert.equal(post.status, 410);
  await post.body?.cancel();
  assert.equal((await signIn(t.client(), "ada@example.org")).status, 303, "the password is unchanged");
  t.close();
});

Deno.test("reset: 10 requests per email, or per address, in 15 minutes; then 429 with Retry-After", async () => {
  const t = await makeTestApp();
  await person(t, "Ada", "ada@example.org");
  for (let i = 0; i < 10; i++) {
    const res = await t.client().postForm("/reset", { email: "ada@example.org" });
    assert.equal(res.status, 303, `request ${i + 1}`);
  }
  const blocked = await t.client().postForm("/reset", { email: "ada@example.org" });
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  await blocked.body?.cancel();
  assert.equal(await resetTokens(t), 10);
  await poll("ten reset emails", () => t.mailer.sent.filter((m) => m.subject.startsWith("Reset")).length === 10);
  t.close();

  const t2 = await makeTestApp();
  for (let i = 0; i < 10; i++) {
    assert.equal((await t2.client().postForm("/reset", { email: `x${i}@example.org` })).status, 303);
  }
  const blocked2 = await t2.client().postForm("/reset", { email: "fresh@example.org" });
  assert.equal(blocked2.status, 429, "the address limit covers different emails");
  await blocked2.body?.cancel();
  t2.close();
});

Deno.test("reset: disabled accounts get no email, and a pending link stops working once disabled", async () => {
  const t = await makeTestApp();
  const { user } = await person(t, "Ada", "ada@example.org");
  await t.client().postForm("/reset", { email: "ada@example.org" });
  await t.mailer.arrival("ada@example.org", /^Reset/);
  const link = t.mailer.link("ada@example.org", "/reset/");
  await updateUser(t.kv, user.id, () => ({ disabled: true }));
  const count = await resetTokens(t);
  const res = await t.client().postForm("/reset", { email: "ada@example.org" });
  assert.equal(res.status, 303, "the same answer as ever");
  assert.equal(await resetTokens(t), count, "no link (so no email) for a disabled account");
  assert.equal((await t.client().postForm(new URL(link).pathname, { password: "a brand new passphrase" })).status, 410);
  t.close();
});
