// Personal access tokens and the /api/v1 surface: shown once, Bearer auth, revocation, CSRF rules.

import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { createApiToken, listApiTokens } from "../lib/db/api_tokens.ts";
import { createSession } from "../lib/db/sessions.ts";
import { createUser } from "../lib/db/users.ts";
import type { User } from "../lib/db/users.ts";

// Small local assertions: node:assert needs @types/node for type checking, which is not installed.
function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}
function assertEquals(actual: unknown, expected: unknown, message = "") {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message ? message + ": " : ""}expected ${e}, got ${a}`);
}

async function makeUser(t: TestApp, email: string): Promise<User> {
  // The hash is never checked here: these tests sign in by session or token, not by password.
  return await createUser(t.kv, { name: email.split("@")[0], email, passwordHash: "$argon2id$unused" });
}

async function signedIn(t: TestApp, user: User): Promise<TestClient> {
  const client = t.client();
  client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
  return client;
}

async function problem(res: Response, status: number): Promise<Record<string, unknown>> {
  assertEquals(res.status, status);
  assertEquals(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assertEquals(body.status, status);
  return body;
}

function tokenFromPage(html: string): string {
  const m = /<code class="token-secret">(tsk_[A-Za-z0-9_-]+)<\/code>/.exec(html);
  assert(m, "no token on the page");
  return m[1];
}

Deno.test("creating a token shows it once; it then works as a Bearer token for /api/v1/me", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "ada@example.org");
    const client = await signedIn(t, user);
    assertEquals((await client.get("/account/tokens")).status, 200);

    const invalid = await client.postForm("/account/tokens", { name: "   " });
    assertEquals(invalid.status, 422);
    assert((await invalid.text()).includes("Give the token a name"));
    assertEquals((await client.postForm("/account/tokens", { name: "x".repeat(101) })).status, 422);

    const res = await client.postForm("/account/tokens", { name: "Calendar sync" });
    assertEquals(res.status, 200);
    const html = await res.text();
    const token = tokenFromPage(html);
    assert(html.includes("shown only this once"));
    assert(html.includes(`"text":"${token}","label":"Copy token"`), "no copy button for the token");

    const list = await (await client.get("/account/tokens")).text();
    assert(list.includes("Calendar sync") && list.includes(token.slice(0, 10)), "the list lacks name or prefix");
    assert(!list.includes(token), "the token is shown again after creation");
    assert(list.includes("Never"), "last use is not shown");

    const me = await t.client().get("/api/v1/me", { authorization: `Bearer ${token}` });
    assertEquals(me.status, 200);
    assertEquals(me.headers.get("cache-control"), "no-store");
    const body = await me.json();
    assertEquals(Object.keys(body).sort(), [
      "createdAt",
      "email",
      "emailVerified",
      "id",
      "name",
      "role",
      "timeZone",
      "twoFactorEnabled",
    ]);
    assertEquals([body.id, body.email, body.twoFactorEnabled, body.role], [user.id, user.email, false, "admin"]);
    assert(!JSON.stringify(body).includes("argon2"), "the password hash leaked");
  } finally {
    t.close();
  }
});

Deno.test("a revoked token gets 401 problem+json; another person's token cannot be revoked", async () => {
  const t = await makeTestApp();
  try {
    const ada = await makeUser(t, "ada@example.org");
    const bob = await makeUser(t, "bob@example.org");
    const adaClient = await signedIn(t, ada);
    const bobToken = await createApiToken(t.kv, bob.id, "Bob's script");

    const foreign = await adaClient.postForm(`/account/tokens/${bobToken.token.id}/revoke`, {});
    assertEquals(foreign.status, 404);
    assertEquals((await listApiTokens(t.kv, bob.id)).length, 1, "Ada revoked Bob's token");
    const bobMe = await t.client().get("/api/v1/me", { authorization: `Bearer ${bobToken.secret}` });
    assertEquals((await bobMe.json()).email, "bob@example.org");

    const adaToken = await createApiToken(t.kv, ada.id, "Ada's script");
    const revoked = await adaClient.postForm(`/account/tokens/${adaToken.token.id}/revoke`, {});
    assertEquals(revoked.status, 303);
    assertEquals(revoked.headers.get("location"), "/account/tokens?notice=revoked");
    const after = await t.client().get("/api/v1/me", { authorization: `Bearer ${adaToken.secret}` });
    await problem(after, 401);
    assertEquals((await adaClient.postForm(`/account/tokens/${adaToken.token.id}/revoke`, {})).status, 404);
  } finally {
    t.close();
  }
});

Deno.test("/api/v1/me works by session cookie; anonymous and unknown paths get problem+json", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "ada@example.org");
    const client = await signedIn(t, user);
    const me = await client.get("/api/v1/me");
    assertEquals(me.status, 200);
    assertEquals((await me.json()).id, user.id);

    await problem(await t.client().get("/api/v1/me"), 401);
    await problem(await t.client().get("/api/v1/me", { authorization: "Bearer tsk_not-a-real-token" }), 401);
    const half = t.client();
    half.cookies.set("ts_session", (await createSession(t.kv, user.id, "totp")).token);
    await problem(await half.get("/api/v1/me"), 401);

    await problem(await client.get("/api/v1/nothing-here"), 404);
    await problem(await t.client().get("/api/nope"), 404);
  } finally {
    t.close();
  }
});

Deno.test("Bearer requests need no CSRF token; cookie-authenticated state changes do", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "ada@example.org");
    const client = await signedIn(t, user);

    // A cookie-authenticated POST without Origin, Sec-Fetch-Site or CSRF token is refused.
    const forged = await client.request("/account/tokens", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "name=forged",
    });
    assertEquals(forged.status, 403);
    const foreignOrigin = await client.postForm("/account/tokens", { name: "forged" }, {
      origin: "https://evil.example",
    });
    assertEquals(foreignOrigin.status, 403);
    assertEquals((await listApiTokens(t.kv, user.id)).length, 0);

    // The double-submit token from the page's form lets the same request through.
    const page = await (await client.get("/account/tokens")).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
    const withToken = await client.request("/account/tokens", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, name: "real" }).toString(),
    });
    assertEquals(withToken.status, 200);

    // A cookie-authenticated DELETE on the API without Origin is refused as well.
    const [listed] = await listApiTokens(t.kv, user.id);
    await problem(await client.request(`/api/v1/tokens/${listed.id}`, { method: "DELETE" }), 403);

    // A Bearer request carries no ambient authority: no Origin, no CSRF token, and it passes.
    const bearer = await createApiToken(t.kv, user.id, "script");
    const del = await t.client().request(`/api/v1/tokens/${listed.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${bearer.secret}` },
    });
    assertEquals(del.status, 204);
    assertEquals((await listApiTokens(t.kv, user.id)).map((x) => x.name), ["script"]);

    // API tokens cannot manage tokens through the browser pages.
    const viaToken = await t.client().request("/account/tokens", {
      method: "POST",
      headers: { authorization: `Bearer ${bearer.secret}`, "content-type": "application/x-www-form-urlencoded" },
      body: "name=minted",
    });
    assertEquals(viaToken.status, 403);
    assertEquals((await listApiTokens(t.kv, user.id)).length, 1);
  } finally {
    t.close();
  }
});

Deno.test("using a token records when it was last used (at most one write a minute)", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "lin@example.org");
    const { token, secret } = await createApiToken(t.kv, user.id, "CI");
    assertEquals(token.lastUsedAt, null);
    const client = t.client();
    assertEquals((await client.get("/api/v1/me", { authorization: `Bearer ${secret}` })).status, 200);
    const [first] = await listApiTokens(t.kv, user.id);
    assert(first.lastUsedAt, "lastUsedAt is set after a request");
    assertEquals((await client.get("/api/v1/me", { authorization: `Bearer ${secret}` })).status, 200);
    const [second] = await listApiTokens(t.kv, user.id);
    assertEquals(second.lastUsedAt, first.lastUsedAt, "a second use within a minute writes nothing");
  } finally {
    t.close();
  }
});
