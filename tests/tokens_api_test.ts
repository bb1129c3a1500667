// Personal access tokens and the /api/v1 surface: shown once, Bearer auth, revocation, CSRF rules.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { createApiToken, listApiTokens } from "../lib/accounts/api_tokens.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";

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
  assert.equal(res.status, status);
  assert.equal(res.headers.get("content-type"), "application/problem+json");
  const body = await res.json();
  assert.equal(body.status, status);
  return body;
}

function tokenFromPage(html: string): string {
  const m = /<code class="token-secret">(tsk_[A-Za-z0-9_-]+)<\/code>/.exec(html);
  assert.ok(m, "no token on the page");
  return m[1];
}

Deno.test("creating a token shows it once; it then works as a Bearer token for /api/v1/me", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "ada@example.org");
    const client = await signedIn(t, user);
    assert.equal((await client.get("/account/tokens")).status, 200);

    const invalid = await client.postForm("/account/tokens", { name: "   " });
    assert.equal(invalid.status, 422);
    assert.ok((await invalid.text()).includes("Give the token a name"));
    assert.equal((await client.postForm("/account/tokens", { name: "x".repeat(101) })).status, 422);

    const res = await client.postForm("/account/tokens", { name: "Calendar sync" });
    assert.equal(res.status, 200);
    const html = await res.text();
    const token = tokenFromPage(html);
    assert.ok(html.includes("shown only this once"));
    assert.ok(html.includes(`"text":"${token}","label":"Copy token"`), "no copy button for the token");

    const list = await (await client.get("/account/tokens")).text();
    assert.ok(list.includes("Calendar sync") && list.includes(token.slice(0, 10)), "the list lacks name or prefix");
    assert.ok(!list.includes(token), "the token is shown again after creation");
    assert.ok(list.includes("Never"), "last use is not shown");

    const me = await t.client().get("/api/v1/me", { authorization: `Bearer ${token}` });
    assert.equal(me.status, 200);
    assert.equal(me.headers.get("cache-control"), "no-store");
    const body = await me.json();
    assert.deepEqual(Object.keys(body).sort(), [
      "createdAt",
      "email",
      "emailVerified",
      "id",
      "name",
      "role",
      "timeZone",
      "twoFactorEnabled",
    ]);
    assert.deepEqual([body.id, body.email, body.twoFactorEnabled, body.role], [user.id, user.email, false, "admin"]);
    assert.ok(!JSON.stringify(body).includes("argon2"), "the password hash leaked");
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
    assert.equal(foreign.status, 404);
    assert.equal((await listApiTokens(t.kv, bob.id)).length, 1, "Ada revoked Bob's token");
    const bobMe = await t.client().get("/api/v1/me", { authorization: `Bearer ${bobToken.secret}` });
    assert.equal((await bobMe.json()).email, "bob@example.org");

    const adaToken = await createApiToken(t.kv, ada.id, "Ada's script");
    const revoked = await adaClient.postForm(`/account/tokens/${adaToken.token.id}/revoke`, {});
    assert.equal(revoked.status, 303);
    assert.equal(revoked.headers.get("location"), "/account/tokens?notice=revoked");
    const after = await t.client().get("/api/v1/me", { authorization: `Bearer ${adaToken.secret}` });
    await problem(after, 401);
    assert.equal((await adaClient.postForm(`/account/tokens/${adaToken.token.id}/revoke`, {})).status, 404);
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
    assert.equal(me.status, 200);
    assert.equal((await me.json()).id, user.id);

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
    assert.equal(forged.status, 403);
    const foreignOrigin = await client.postForm("/account/tokens", { name: "forged" }, {
      origin: "https://evil.example",
    });
    assert.equal(foreignOrigin.status, 403);
    assert.equal((await listApiTokens(t.kv, user.id)).length, 0);

    // The double-submit token from the page's form lets the same request through.
    const page = await (await client.get("/account/tokens")).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
    const withToken = await client.request("/account/tokens", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, name: "real" }).toString(),
    });
    assert.equal(withToken.status, 200);

    // A cookie-authenticated DELETE on the API without Origin is refused as well.
    const [listed] = await listApiTokens(t.kv, user.id);
    await problem(await client.request(`/api/v1/tokens/${listed.id}`, { method: "DELETE" }), 403);

    // A Bearer request carries no ambient authority: no Origin, no CSRF token, and it passes.
    const bearer = await createApiToken(t.kv, user.id, "script");
    const del = await t.client().request(`/api/v1/tokens/${listed.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${bearer.secret}` },
    });
    assert.equal(del.status, 204);
    assert.deepEqual((await listApiTokens(t.kv, user.id)).map((x) => x.name), ["script"]);

    // API tokens cannot manage tokens through the browser pages.
    const viaToken = await t.client().request("/account/tokens", {
      method: "POST",
      headers: { authorization: `Bearer ${bearer.secret}`, "content-type": "application/x-www-form-urlencoded" },
      body: "name=minted",
    });
    assert.equal(viaToken.status, 403);
    assert.equal((await listApiTokens(t.kv, user.id)).length, 1);
  } finally {
    t.close();
  }
});

Deno.test("using a token records when it was last used (at most one write a minute)", async () => {
  const t = await makeTestApp();
  try {
    const user = await makeUser(t, "lin@example.org");
    const { token, secret } = await createApiToken(t.kv, user.id, "CI");
    assert.equal(token.lastUsedAt, null);
    const client = t.client();
    assert.equal((await client.get("/api/v1/me", { authorization: `Bearer ${secret}` })).status, 200);
    const [first] = await listApiTokens(t.kv, user.id);
    assert.ok(first.lastUsedAt, "lastUsedAt is set after a request");
    assert.equal((await client.get("/api/v1/me", { authorization: `Bearer ${secret}` })).status, 200);
    const [second] = await listApiTokens(t.kv, user.id);
    assert.equal(second.lastUsedAt, first.lastUsedAt, "a second use within a minute writes nothing");
  } finally {
    t.close();
  }
});
