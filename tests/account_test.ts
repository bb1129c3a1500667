// Account settings: profile, email change by link, password change, signing out everywhere,
// resending the verification link, and deleting the account (never the only admin).

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";
import { getSession } from "../lib/accounts/sessions.ts";
import { getUser, getUserByEmail, updateUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";

const PASSWORD = "correct horse battery";

/** Signs a new person up (confirmation mail delivered) and in; returns their signed-in client and stored account. */
async function signedUp(t: TestApp, name: string, email: string): Promise<{ client: TestClient; user: User }> {
  const client = t.client();
  const res = await client.postForm("/signup", { name, email, password: PASSWORD });
  assert.equal(res.status, 303, `sign-up of ${email}`);
  await t.mailer.arrival(email, /^Confirm your email/);
  // Sign-up signs no one in (its answer must not tell whether the address had an account).
  const signin = await client.postForm("/signin", { email, password: PASSWORD });
  assert.equal(signin.status, 303, `sign-in of ${email}`);
  return { client, user: (await getUserByEmail(t.kv, email))! };
}

/** Another signed-in client (another device) for the same person. */
async function anotherDevice(t: TestApp, email: string, password = PASSWORD): Promise<TestClient> {
  const client = t.client();
  const res = await client.postForm("/signin", { email, password });
  assert.equal(res.status, 303, `sign-in of ${email}`);
  return client;
}

async function signedIn(c: TestClient): Promise<boolean> {
  const res = await c.get("/account");
  await res.body?.cancel();
  return res.status === 200;
}

Deno.test("account settings need a signed-in browser session", async () => {
  const t = await makeTestApp();
  const anon = await t.client().get("/account");
  assert.equal(anon.status, 303);
  assert.equal(anon.headers.get("location"), "/signin?next=%2Faccount");

  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  const page = await client.get("/account");
  assert.equal(page.status, 200);
  const html = await page.text();
  for (const action of ["/account/profile", "/account/email", "/account/password", "/account/signout-everywhere"]) {
    assert.match(html, new RegExp(`action="${action}"`));
  }
  assert.match(html, /action="\/account\/delete"/);
  assert.match(html, /href="\/account\/totp"/);
  assert.match(html, /href="\/account\/tokens"/);
  assert.match(html, /Two-factor sign-in is <strong>off<\/strong>/);
  assert.match(html, /<option value="UTC" selected/);
  assert.match(html, /<option value="Europe\/Berlin"/);

  // An API token authenticates, but may not change account settings.
  const { secret } = await createApiToken(t.kv, user.id, "script");
  const api = await t.app.request(`${t.origin}/account/password`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ current: PASSWORD, password: "a brand new passphrase" }).toString(),
  });
  assert.equal(api.status, 403);
  await api.body?.cancel();
  assert.equal((await anotherDevice(t, "ada@example.org")).cookies.has("ts_session"), true, "password unchanged");
  t.close();
});

Deno.test("profile: name and time zone are saved; invalid input re-renders with messages", async () => {
  const t = await makeTestApp();
  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  const bad = await client.postForm("/account/profile", { name: "", timeZone: "Mars/Olympus_Mons" });
  assert.equal(bad.status, 422);
  const badHtml = await bad.text();
  assert.match(badHtml, /Enter your name/);
  assert.match(badHtml, /Choose a time zone from the list/);
  assert.equal((await getUser(t.kv, user.id))?.name, "Ada");

  const ok = await client.postForm("/account/profile", { name: "Ada Lovelace", timeZone: "Europe/Berlin" });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/account?notice=profile-saved");
  const saved = await getUser(t.kv, user.id);
  assert.equal(saved?.name, "Ada Lovelace");
  assert.equal(saved?.timeZone, "Europe/Berlin");
  const page = await (await client.get("/account?notice=profile-saved")).text();
  assert.match(page, /Your profile has been saved/);
  assert.match(page, /<option value="Europe\/Berlin" selected/);
  const junk = await (await client.get("/account?notice=%3Cscript%3Ealert(1)%3C%2Fscript%3E")).text();
  assert.ok(!junk.includes("<script>alert(1)"), "unknown notices are never reflected");
  t.close();
});

Deno.test("email change: confirmed by the link sent to the new address; the old one is told", async () => {
  const t = await makeTestApp();
  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  await signedUp(t, "Bob", "bob@example.org");

  const wrong = await client.postForm("/account/email", { email: "ada@new.example", password: "not my password" });
  assert.equal(wrong.status, 422);
  assert.match(await wrong.text(), /That is not your current password/);
  const taken = await client.postForm("/account/email", { email: "bob@example.org", password: PASSWORD });
  assert.equal(taken.status, 422);
  assert.match(await taken.text(), /Another account already uses this email address/);
  const same = await client.postForm("/account/email", { email: "ADA@example.org", password: PASSWORD });
  assert.equal(same.status, 422);
  await same.body?.cancel();
  assert.equal(t.mailer.sent.filter((m) => m.to === "ada@new.example").length, 0);

  const res = await client.postForm("/account/email", { email: "ada@new.example", password: PASSWORD });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/account?notice=email-change-sent");
  const link = t.mailer.link("ada@new.example", "/account/email/confirm/");
  assert.match(t.mailer.last("ada@example.org").text, /ada@new\.example/, "the old address gets a notice");
  assert.equal((await getUser(t.kv, user.id))?.email, "ada@example.org", "nothing changes before the link");

  const opened = await t.client().get(link);
  assert.equal(opened.status, 200);
  assert.match(await opened.text(), /Your account now uses ada@new\.example/);
  const changed = await getUser(t.kv, user.id);
  assert.equal(changed?.email, "ada@new.example");
  assert.equal(changed?.emailVerified, true, "the new address counts as verified");
  assert.equal(await getUserByEmail(t.kv, "ada@example.org"), null, "the old address is free");
  assert.equal((await getUserByEmail(t.kv, "ada@new.example"))?.id, user.id);

  assert.equal((await t.client().get(link)).status, 410, "the link works once");
  await anotherDevice(t, "ada@new.example");
  t.close();
});

Deno.test("email change: if the address was taken meanwhile, opening the link says so and changes nothing", async () => {
  const t = await makeTestApp();
  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  await client.postForm("/account/email", { email: "shared@example.org", password: PASSWORD });
  const link = t.mailer.link("shared@example.org", "/account/email/confirm/");
  await signedUp(t, "Carol", "shared@example.org");
  const res = await client.get(link);
  assert.equal(res.status, 409);
  assert.match(await res.text(), /Another account started using shared@example\.org/);
  assert.equal((await getUser(t.kv, user.id))?.email, "ada@example.org");
  t.close();
});

Deno.test("password change: needs the current password and ends every other session", async () => {
  const t = await makeTestApp();
  const { client } = await signedUp(t, "Ada", "ada@example.org");
  const phone = await anotherDevice(t, "ada@example.org");

  const wrong = await client.postForm("/account/password", { current: "nope", password: "a brand new passphrase" });
  assert.equal(wrong.status, 422);
  assert.match(await wrong.text(), /That is not your current password/);
  const short = await client.postForm("/account/password", { current: PASSWORD, password: "short" });
  assert.equal(short.status, 422);
  assert.match(await short.text(), /Use at least 10 characters/);
  assert.ok(await signedIn(phone), "failed attempts end nothing");

  const ok = await client.postForm("/account/password", { current: PASSWORD, password: "a brand new passphrase" });
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get("location"), "/account?notice=password-changed");
  assert.ok(await signedIn(client), "this device stays signed in");
  assert.ok(!(await signedIn(phone)), "the other device is signed out");
  assert.equal(t.mailer.last("ada@example.org").subject, "Your Talkspace password was changed");

  const old = await t.client().postForm("/signin", { email: "ada@example.org", password: PASSWORD });
  assert.equal(old.status, 422);
  await old.body?.cancel();
  await anotherDevice(t, "ada@example.org", "a brand new passphrase");
  t.close();
});

Deno.test("sign out everywhere ends every session, including this one", async () => {
  const t = await makeTestApp();
  const { client } = await signedUp(t, "Ada", "ada@example.org");
  const { client: bob } = await signedUp(t, "Bob", "bob@example.org");
  const phone = await anotherDevice(t, "ada@example.org");
  const token = client.cookies.get("ts_session")!;

  const res = await client.postForm("/account/signout-everywhere", {});
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/signin?notice=signed-out-everywhere");
  assert.ok(!(await signedIn(client)) && !(await signedIn(phone)));
  assert.equal(await getSession(t.kv, token), null);
  assert.ok(await signedIn(bob), "other people are not affected");
  const page = await client.get("/signin?notice=signed-out-everywhere");
  assert.match(await page.text(), /You have been signed out on every device/);
  t.close();
});

Deno.test("resending the verification link: a fresh link, 10 per 15 minutes", async () => {
  const t = await makeTestApp();
  const { client } = await signedUp(t, "Ada", "ada@example.org");
  const first = t.mailer.link("ada@example.org", "/verify/");
  const page = await client.get("/account/verify");
  assert.equal(page.status, 200);
  assert.match(await page.text(), /action="\/account\/verify"/);
  for (let i = 0; i < 10; i++) {
    const res = await client.postForm("/account/verify", {});
    assert.equal(res.status, 303, `resend ${i + 1}`);
    assert.equal(res.headers.get("location"), "/account?notice=verify-sent");
  }
  const fresh = t.mailer.link("ada@example.org", "/verify/");
  assert.ok(fresh !== first, "each resend carries a new link");
  const blocked = await client.postForm("/account/verify", {});
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  await blocked.body?.cancel();
  assert.equal((await client.get(fresh)).status, 200);
  assert.equal((await getUserByEmail(t.kv, "ada@example.org"))?.emailVerified, true);
  const after = await client.postForm("/account/verify", {});
  assert.equal(after.headers.get("location"), "/account?notice=already-verified");
  t.close();
});

Deno.test("delete account: needs the password, then removes the account and its sessions", async () => {
  const t = await makeTestApp();
  await signedUp(t, "Ada", "ada@example.org");
  const { client, user } = await signedUp(t, "Bob", "bob@example.org");
  const phone = await anotherDevice(t, "bob@example.org");

  const wrong = await client.postForm("/account/delete", { password: "not my password" });
  assert.equal(wrong.status, 422);
  assert.match(await wrong.text(), /That is not your current password/);
  assert.ok(await getUser(t.kv, user.id), "still there");

  const res = await client.postForm("/account/delete", { password: PASSWORD });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/?notice=account-deleted");
  assert.equal(client.cookies.get("ts_session"), undefined, "the cookie is cleared");
  assert.equal(await getUser(t.kv, user.id), null);
  assert.equal(await getUserByEmail(t.kv, "bob@example.org"), null);
  assert.ok(!(await signedIn(phone)), "other devices are signed out");
  const again = await t.client().postForm("/signin", { email: "bob@example.org", password: PASSWORD });
  assert.equal(again.status, 422);
  await again.body?.cancel();
  t.close();
});

Deno.test("the only admin cannot delete their account; with another admin they can", async () => {
  const t = await makeTestApp();
  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  const { user: bob } = await signedUp(t, "Bob", "bob@example.org");
  assert.equal(user.role, "admin");

  const refused = await client.postForm("/account/delete", { password: PASSWORD });
  assert.equal(refused.status, 409);
  assert.match(await refused.text(), /You are the only administrator/);
  assert.ok(await getUser(t.kv, user.id), "the admin is still there");

  // A disabled admin does not count as someone who can run the server.
  await updateUser(t.kv, bob.id, () => ({ role: "admin", disabled: true }));
  const stillRefused = await client.postForm("/account/delete", { password: PASSWORD });
  assert.equal(stillRefused.status, 409);
  await stillRefused.body?.cancel();

  await updateUser(t.kv, bob.id, () => ({ disabled: false }));
  const ok = await client.postForm("/account/delete", { password: PASSWORD });
  assert.equal(ok.status, 303);
  assert.equal(await getUser(t.kv, user.id), null);
  t.close();
});
