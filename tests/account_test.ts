// Account settings: profile, email change by link, password change, signing out everywhere,
// resending the verification link, and deleting the account (never the only admin).

import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { createApiToken } from "../lib/db/api_tokens.ts";
import { getSession } from "../lib/db/sessions.ts";
import { getUser, getUserByEmail, updateUser } from "../lib/db/users.ts";
import type { User } from "../lib/db/users.ts";

// Small local assertions: node:assert would pull @types/node into `deno check`, which node_modules lacks.
function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new Error(message);
}
function assertEquals(actual: unknown, expected: unknown, message = "") {
  if (!Object.is(actual, expected)) {
    throw new Error(
      `${message ? message + ": " : ""}expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`,
    );
  }
}
function assertMatch(text: string, re: RegExp, message = "") {
  if (!re.test(text)) throw new Error(`${message ? message + ": " : ""}${re} not found in:\n${text.slice(0, 3000)}`);
}

const PASSWORD = "correct horse battery";

/** Signs a new person up; returns their signed-in client and stored account. */
async function signedUp(t: TestApp, name: string, email: string): Promise<{ client: TestClient; user: User }> {
  const client = t.client();
  const res = await client.postForm("/signup", { name, email, password: PASSWORD });
  assertEquals(res.status, 303, `sign-up of ${email}`);
  return { client, user: (await getUserByEmail(t.kv, email))! };
}

/** Another signed-in client (another device) for the same person. */
async function anotherDevice(t: TestApp, email: string, password = PASSWORD): Promise<TestClient> {
  const client = t.client();
  const res = await client.postForm("/signin", { email, password });
  assertEquals(res.status, 303, `sign-in of ${email}`);
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
  assertEquals(anon.status, 303);
  assertEquals(anon.headers.get("location"), "/signin?next=%2Faccount");

  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  const page = await client.get("/account");
  assertEquals(page.status, 200);
  const html = await page.text();
  for (const action of ["/account/profile", "/account/email", "/account/password", "/account/signout-everywhere"]) {
    assertMatch(html, new RegExp(`action="${action}"`));
  }
  assertMatch(html, /action="\/account\/delete"/);
  assertMatch(html, /href="\/account\/totp"/);
  assertMatch(html, /href="\/account\/tokens"/);
  assertMatch(html, /Two-factor sign-in is <strong>off<\/strong>/);
  assertMatch(html, /<option value="UTC" selected/);
  assertMatch(html, /<option value="Europe\/Berlin"/);

  // An API token authenticates, but may not change account settings.
  const { secret } = await createApiToken(t.kv, user.id, "script");
  const api = await t.app.request(`${t.origin}/account/password`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ current: PASSWORD, password: "a brand new passphrase" }).toString(),
  });
  assertEquals(api.status, 403);
  await api.body?.cancel();
  assertEquals((await anotherDevice(t, "ada@example.org")).cookies.has("ts_session"), true, "password unchanged");
  t.close();
});

Deno.test("profile: name and time zone are saved; invalid input re-renders with messages", async () => {
  const t = await makeTestApp();
  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  const bad = await client.postForm("/account/profile", { name: "", timeZone: "Mars/Olympus_Mons" });
  assertEquals(bad.status, 422);
  const badHtml = await bad.text();
  assertMatch(badHtml, /Enter your name/);
  assertMatch(badHtml, /Choose a time zone from the list/);
  assertEquals((await getUser(t.kv, user.id))?.name, "Ada");

  const ok = await client.postForm("/account/profile", { name: "Ada Lovelace", timeZone: "Europe/Berlin" });
  assertEquals(ok.status, 303);
  assertEquals(ok.headers.get("location"), "/account?notice=profile-saved");
  const saved = await getUser(t.kv, user.id);
  assertEquals(saved?.name, "Ada Lovelace");
  assertEquals(saved?.timeZone, "Europe/Berlin");
  const page = await (await client.get("/account?notice=profile-saved")).text();
  assertMatch(page, /Your profile has been saved/);
  assertMatch(page, /<option value="Europe\/Berlin" selected/);
  const junk = await (await client.get("/account?notice=%3Cscript%3Ealert(1)%3C%2Fscript%3E")).text();
  assert(!junk.includes("<script>alert(1)"), "unknown notices are never reflected");
  t.close();
});

Deno.test("email change: confirmed by the link sent to the new address; the old one is told", async () => {
  const t = await makeTestApp();
  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  await signedUp(t, "Bob", "bob@example.org");

  const wrong = await client.postForm("/account/email", { email: "ada@new.example", password: "not my password" });
  assertEquals(wrong.status, 422);
  assertMatch(await wrong.text(), /That is not your current password/);
  const taken = await client.postForm("/account/email", { email: "bob@example.org", password: PASSWORD });
  assertEquals(taken.status, 422);
  assertMatch(await taken.text(), /Another account already uses this email address/);
  const same = await client.postForm("/account/email", { email: "ADA@example.org", password: PASSWORD });
  assertEquals(same.status, 422);
  await same.body?.cancel();
  assertEquals(t.mailer.sent.filter((m) => m.to === "ada@new.example").length, 0);

  const res = await client.postForm("/account/email", { email: "ada@new.example", password: PASSWORD });
  assertEquals(res.status, 303);
  assertEquals(res.headers.get("location"), "/account?notice=email-change-sent");
  const link = t.mailer.link("ada@new.example", "/account/email/confirm/");
  assertMatch(t.mailer.last("ada@example.org").text, /ada@new\.example/, "the old address gets a notice");
  assertEquals((await getUser(t.kv, user.id))?.email, "ada@example.org", "nothing changes before the link");

  const opened = await t.client().get(link);
  assertEquals(opened.status, 200);
  assertMatch(await opened.text(), /Your account now uses ada@new\.example/);
  const changed = await getUser(t.kv, user.id);
  assertEquals(changed?.email, "ada@new.example");
  assertEquals(changed?.emailVerified, true, "the new address counts as verified");
  assertEquals(await getUserByEmail(t.kv, "ada@example.org"), null, "the old address is free");
  assertEquals((await getUserByEmail(t.kv, "ada@new.example"))?.id, user.id);

  assertEquals((await t.client().get(link)).status, 410, "the link works once");
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
  assertEquals(res.status, 409);
  assertMatch(await res.text(), /Another account started using shared@example\.org/);
  assertEquals((await getUser(t.kv, user.id))?.email, "ada@example.org");
  t.close();
});

Deno.test("password change: needs the current password and ends every other session", async () => {
  const t = await makeTestApp();
  const { client } = await signedUp(t, "Ada", "ada@example.org");
  const phone = await anotherDevice(t, "ada@example.org");

  const wrong = await client.postForm("/account/password", { current: "nope", password: "a brand new passphrase" });
  assertEquals(wrong.status, 422);
  assertMatch(await wrong.text(), /That is not your current password/);
  const short = await client.postForm("/account/password", { current: PASSWORD, password: "short" });
  assertEquals(short.status, 422);
  assertMatch(await short.text(), /Use at least 10 characters/);
  assert(await signedIn(phone), "failed attempts end nothing");

  const ok = await client.postForm("/account/password", { current: PASSWORD, password: "a brand new passphrase" });
  assertEquals(ok.status, 303);
  assertEquals(ok.headers.get("location"), "/account?notice=password-changed");
  assert(await signedIn(client), "this device stays signed in");
  assert(!(await signedIn(phone)), "the other device is signed out");
  assertEquals(t.mailer.last("ada@example.org").subject, "Your Talkspace password was changed");

  const old = await t.client().postForm("/signin", { email: "ada@example.org", password: PASSWORD });
  assertEquals(old.status, 422);
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
  assertEquals(res.status, 303);
  assertEquals(res.headers.get("location"), "/signin?notice=signed-out-everywhere");
  assert(!(await signedIn(client)) && !(await signedIn(phone)));
  assertEquals(await getSession(t.kv, token), null);
  assert(await signedIn(bob), "other people are not affected");
  const page = await client.get("/signin?notice=signed-out-everywhere");
  assertMatch(await page.text(), /You have been signed out on every device/);
  t.close();
});

Deno.test("resending the verification link: a fresh link, 10 per 15 minutes", async () => {
  const t = await makeTestApp();
  const { client } = await signedUp(t, "Ada", "ada@example.org");
  const first = t.mailer.link("ada@example.org", "/verify/");
  const page = await client.get("/account/verify");
  assertEquals(page.status, 200);
  assertMatch(await page.text(), /action="\/account\/verify"/);
  for (let i = 0; i < 10; i++) {
    const res = await client.postForm("/account/verify", {});
    assertEquals(res.status, 303, `resend ${i + 1}`);
    assertEquals(res.headers.get("location"), "/account?notice=verify-sent");
  }
  const fresh = t.mailer.link("ada@example.org", "/verify/");
  assert(fresh !== first, "each resend carries a new link");
  const blocked = await client.postForm("/account/verify", {});
  assertEquals(blocked.status, 429);
  assert(Number(blocked.headers.get("retry-after")) > 0);
  await blocked.body?.cancel();
  assertEquals((await client.get(fresh)).status, 200);
  assertEquals((await getUserByEmail(t.kv, "ada@example.org"))?.emailVerified, true);
  const after = await client.postForm("/account/verify", {});
  assertEquals(after.headers.get("location"), "/account?notice=already-verified");
  t.close();
});

Deno.test("delete account: needs the password, then removes the account and its sessions", async () => {
  const t = await makeTestApp();
  await signedUp(t, "Ada", "ada@example.org");
  const { client, user } = await signedUp(t, "Bob", "bob@example.org");
  const phone = await anotherDevice(t, "bob@example.org");

  const wrong = await client.postForm("/account/delete", { password: "not my password" });
  assertEquals(wrong.status, 422);
  assertMatch(await wrong.text(), /That is not your current password/);
  assert(await getUser(t.kv, user.id), "still there");

  const res = await client.postForm("/account/delete", { password: PASSWORD });
  assertEquals(res.status, 303);
  assertEquals(res.headers.get("location"), "/?notice=account-deleted");
  assertEquals(client.cookies.get("ts_session"), undefined, "the cookie is cleared");
  assertEquals(await getUser(t.kv, user.id), null);
  assertEquals(await getUserByEmail(t.kv, "bob@example.org"), null);
  assert(!(await signedIn(phone)), "other devices are signed out");
  const again = await t.client().postForm("/signin", { email: "bob@example.org", password: PASSWORD });
  assertEquals(again.status, 422);
  await again.body?.cancel();
  t.close();
});

Deno.test("the only admin cannot delete their account; with another admin they can", async () => {
  const t = await makeTestApp();
  const { client, user } = await signedUp(t, "Ada", "ada@example.org");
  const { user: bob } = await signedUp(t, "Bob", "bob@example.org");
  assertEquals(user.role, "admin");

  const refused = await client.postForm("/account/delete", { password: PASSWORD });
  assertEquals(refused.status, 409);
  assertMatch(await refused.text(), /You are the only administrator/);
  assert(await getUser(t.kv, user.id), "the admin is still there");

  // A disabled admin does not count as someone who can run the server.
  await updateUser(t.kv, bob.id, () => ({ role: "admin", disabled: true }));
  const stillRefused = await client.postForm("/account/delete", { password: PASSWORD });
  assertEquals(stillRefused.status, 409);
  await stillRefused.body?.cancel();

  await updateUser(t.kv, bob.id, () => ({ disabled: false }));
  const ok = await client.postForm("/account/delete", { password: PASSWORD });
  assertEquals(ok.status, 303);
  assertEquals(await getUser(t.kv, user.id), null);
  t.close();
});
