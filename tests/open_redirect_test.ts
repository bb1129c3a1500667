// Return URLs stay on this site: safeNext over a table of hostile values, then the real app's every
// place that takes one (/signin GET and POST, signed in and not, /signin/totp GET and POST, half- and
// fully signed in, the sign-in redirect a protected page answers) — every Location is a same-origin path.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { safeNext } from "../lib/web/signin.ts";
import { hashPassword } from "../lib/accounts/password.ts";
import { createUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { enableTwoFactor, newTotpSecret, totpCodeAt } from "../lib/accounts/totp.ts";

/** Values that must never leave the site (each is refused by safeNext). */
const HOSTILE = [
  "//evil.test",
  "///evil.test",
  "////evil.test/login",
  "/.//evil.test/login",
  "/..//evil.test",
  "/./..//evil.test",
  "/a/../..//evil.test",
  "/././/evil.test",
  "/%2e//evil.test",
  "/%2E%2E//evil.test",
  "/x/%2e%2e//evil.test",
  "/.%2e//evil.test",
  "/%2f/evil.test",
  "/%2F%2Fevil.test",
  "/.%2f/evil.test",
  "/%5cevil.test",
  "/%5C%5Cevil.test",
  "/\\evil.test",
  "/\\/evil.test",
  "\\\\evil.test",
  "/..\\evil.test",
  "https://evil.test/login",
  "http:evil.test",
  "HTTPS:/\\evil.test",
  "javascript:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "//evil.test@localhost:8000",
  "/\t/evil.test",
  "/\n/evil.test",
  "/\r\n/evil.test",
  "/\u0000//evil.test",
  "/\u0085/evil.test",
  "/%09/evil.test",
  "/%0d%0a/evil.test",
  " //evil.test",
  ".//evil.test",
  "evil.test",
  "",
  "/" + "a".repeat(2001),
];

/** Local paths that are kept, each with what safeNext returns for it. */
const KEPT: [string, string][] = [
  ["/", "/"],
  ["/dashboard", "/dashboard"],
  ["/m/1234567890?pwd=a%2Fb%5Cc", "/m/1234567890?pwd=a%2Fb%5Cc"],
  ["/meetings?x=//evil.test#//y", "/meetings?x=//evil.test#//y"],
  ["/a/./b/../c", "/a/c"],
  ["/@evil.test", "/@evil.test"],
  ["/ünï", "/%C3%BCn%C3%AF"],
  ["/\u2215\u2215evil.test", "/%E2%88%95%E2%88%95evil.test"],
  ["/%252f%252fevil.test", "/%252f%252fevil.test"],
];

Deno.test("safeNext: hostile return URLs are refused, local paths come back normalised", () => {
  for (const value of HOSTILE) assert.equal(safeNext(value), null, JSON.stringify(value));
  for (const [value, expected] of KEPT) assert.equal(safeNext(value), expected, JSON.stringify(value));
  for (const value of [undefined, null, 42, ["/x"], { toString: () => "/x" }]) assert.equal(safeNext(value), null);
});

/** A Location that a browser resolves to this site's origin, written as a path ("/x", never "//x"). */
function assertLocalLocation(t: TestApp, res: Response, what: string): string {
  assert.equal(res.status, 303, `${what}: status`);
  const location = res.headers.get("location") ?? "";
  assert.match(location, /^\/(?![/\\])/, `${what}: Location ${JSON.stringify(location)} is not a local path`);
  // deno-lint-ignore no-control-regex -- a control character in Location is itself a finding
  assert.doesNotMatch(location, /[\u0000-\u001f\u007f\\]/, `${what}: Location ${JSON.stringify(location)}`);
  assert.equal(new URL(location, t.origin).origin, t.origin, `${what}: Location ${JSON.stringify(location)}`);
  return location;
}

/** Where a Location of `/signin/totp?next=…` will finally send the person (its own next, checked). */
function innerNext(t: TestApp, location: string): string | null {
  return new URL(location, t.origin).searchParams.get("next");
}

const PASSWORD = "correct horse battery staple";

async function account(t: TestApp, email: string): Promise<User> {
  return await createUser(t.kv, { name: "Ada", email, passwordHash: await hashPassword(PASSWORD) });
}

async function withSession(t: TestApp, user: User, stage: "full" | "totp"): Promise<TestClient> {
  const client = t.client();
  client.cookies.set("ts_session", (await createSession(t.kv, user.id, stage)).token);
  return client;
}

/** Every value as the query carries it: percent-encoded, and raw where a URL can hold it as typed. */
function queries(value: string): string[] {
  const raw = /^[\x21-\x7e]*$/.test(value) && !/[#&+%]/.test(value) ? [value] : [];
  return [encodeURIComponent(value), ...raw];
}

Deno.test("GET /signin and /signin/totp signed in: every hostile next redirects to a local path", async () => {
  const t = await makeTestApp();
  try {
    const user = await account(t, "ada@example.org");
    const client = await withSession(t, user, "full");
    for (const value of HOSTILE) {
      for (const q of queries(value)) {
        for (const path of ["/signin", "/signin/totp"]) {
          const res = await client.get(`${path}?next=${q}`);
          await res.body?.cancel();
          assert.equal(assertLocalLocation(t, res, `GET ${path}?next=${q}`), "/dashboard", `GET ${path}?next=${q}`);
        }
        const post = await client.postForm(`/signin/totp?next=${q}`, { code: "000000" });
        await post.body?.cancel();
        assert.equal(assertLocalLocation(t, post, `POST /signin/totp?next=${q}`), "/dashboard");
      }
    }
    // The probes, exactly as they were sent.
    for (
      const path of ["/signin?next=/.//evil.test/login", "/signin?next=/..//evil.test", "/signin?next=/%2e//evil.test"]
    ) {
      const res = await client.get(path);
      await res.body?.cancel();
      assert.equal(assertLocalLocation(t, res, path), "/dashboard");
    }
    for (const [value, expected] of KEPT) {
      const res = await client.get(`/signin?next=${encodeURIComponent(value)}`);
      await res.body?.cancel();
      assert.equal(assertLocalLocation(t, res, value), expected, "a local next is kept");
    }
  } finally {
    t.close();
  }
});

Deno.test("GET /signin signed out: a hostile next is not carried into the form", async () => {
  const t = await makeTestApp();
  try {
    const client = t.client();
    for (const value of HOSTILE) {
      const res = await client.get(`/signin?next=${encodeURIComponent(value)}`);
      assert.equal(res.status, 200);
      assert.doesNotMatch(await res.text(), /name="next"/, `hidden next field for ${JSON.stringify(value)}`);
    }
    const res = await client.get(`/signin?next=${encodeURIComponent("/a/./b")}`);
    assert.match(await res.text(), /name="next" value="\/a\/b"/, "a local next is carried, normalised");
  } finally {
    t.close();
  }
});

Deno.test("POST /signin (password step) with a hostile next: signed in to a local path, with and without two-factor", async () => {
  const t = await makeTestApp();
  try {
    await account(t, "ada@example.org");
    const twoFactor = await account(t, "tess@example.org");
    const secret = newTotpSecret();
    assert.ok(await enableTwoFactor(t.kv, twoFactor.id, secret));
    for (const value of HOSTILE) {
      const plain = await t.client().postForm("/signin", { email: "ada@example.org", password: PASSWORD, next: value });
      await plain.body?.cancel();
      assert.equal(assertLocalLocation(t, plain, `POST /signin next=${JSON.stringify(value)}`), "/dashboard");

      const pending = await t.client().postForm("/signin", {
        email: "tess@example.org",
        password: PASSWORD,
        next: value,
      });
      await pending.body?.cancel();
      const location = assertLocalLocation(t, pending, `POST /signin (two-factor) next=${JSON.stringify(value)}`);
      assert.equal(location, "/signin/totp", "a hostile next is not passed on to the code step");
      assert.equal(innerNext(t, location), null);
    }
    const kept = await t.client().postForm("/signin", {
      email: "tess@example.org",
      password: PASSWORD,
      next: "/x/../m/1",
    });
    await kept.body?.cancel();
    assert.equal(innerNext(t, assertLocalLocation(t, kept, "kept")), "/m/1");

    // The code step itself, half signed in, with a correct code: three valid steps, three next values.
    const now = Date.now();
    const cases: [string, string][] = [
      ["/.//evil.test/login", "/dashboard"],
      ["/%2e%2e//evil.test", "/dashboard"],
      ["/meetings/./mine", "/meetings/mine"],
    ];
    for (const [i, [value, expected]] of cases.entries()) {
      const client = await withSession(t, twoFactor, "totp");
      const page = await client.get(`/signin/totp?next=${encodeURIComponent(value)}`);
      assert.equal(page.status, 200, "the code step is shown to a half-signed-in person");
      await page.body?.cancel();
      const code = totpCodeAt(secret, now + (i - 1) * 30_000);
      const res = await client.postForm(`/signin/totp?next=${encodeURIComponent(value)}`, { code });
      await res.body?.cancel();
      assert.equal(assertLocalLocation(t, res, `TOTP next=${value}`), expected);
    }
  } finally {
    t.close();
  }
});

Deno.test("a protected page sends a signed-out person to /signin with a next that leads back to it", async () => {
  const t = await makeTestApp();
  try {
    await account(t, "ada@example.org");
    for (const path of ["/dashboard", "/account?tab=//evil.test", "/account/tokens#x"]) {
      const res = await t.client().get(path);
      await res.body?.cancel();
      const location = assertLocalLocation(t, res, path);
      assert.equal(new URL(location, t.origin).pathname, "/signin");
      const next = innerNext(t, location);
      assert.ok(next !== null && safeNext(next) === next, `next ${next} for ${path}`);
      const back = await t.client().postForm("/signin", { email: "ada@example.org", password: PASSWORD, next });
      await back.body?.cancel();
      assert.equal(assertLocalLocation(t, back, `back to ${path}`), next);
    }
  } finally {
    t.close();
  }
});
