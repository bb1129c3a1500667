// Anonymous pages rendered once and reused: each response must still carry its own CSRF token and
// nonce, and nothing person-specific may ever come out of the cache.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { catalogFiles, loadManifest } from "../lib/web/islands/manifest.ts";

/** The nonce the page's own script tags carry (every page loads static/pwa.js with it). */
function pageNonce(html: string): string {
  const m = /<script [^>]*nonce="([^"]+)"/.exec(html);
  assert.ok(m, "the page has a script with a nonce");
  return m[1];
}

function cspNonce(res: Response): string {
  const m = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy") ?? "");
  assert.ok(m, "the response's CSP has a nonce");
  return m[1];
}

function csrfField(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, "the page has a CSRF field");
  return m[1];
}

Deno.test("cached anonymous pages carry each visitor's own CSRF token, and forms still work", async () => {
  const t = await makeTestApp();
  try {
    const a = t.client();
    const b = t.client();
    const resA = await a.get("/signin");
    const resB = await b.get("/signin");
    const pageA = await resA.text();
    const pageB = await resB.text();
    assert.equal(csrfField(pageA), a.cookies.get("ts_csrf"));
    assert.equal(csrfField(pageB), b.cookies.get("ts_csrf"));
    assert.notEqual(csrfField(pageA), csrfField(pageB));
    // Each response's script nonce is the one its own CSP allows.
    assert.equal(pageNonce(pageA), cspNonce(resA));
    assert.equal(pageNonce(pageB), cspNonce(resB));
    assert.notEqual(pageNonce(pageA), pageNonce(pageB));
    const generic = (page: string) => page.replaceAll(csrfField(page), "T").replace(pageNonce(page), "N");
    assert.equal(generic(pageA), generic(pageB), "same page otherwise");
    assert.ok(!/csrf[A-Za-z0-9_-]{16}"|nonce[A-Za-z0-9_-]{16}/.test(generic(pageA)), "no placeholder left");

    // The token from the cached page passes the CSRF check without an Origin header.
    const res = await a.request("/signin", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrfField(pageA), email: "x@example.org", password: "nope" }),
    });
    assert.equal(res.status, 422, "past CSRF, the sign-in itself says no");
    await res.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("signed-in people and visitor-supplied text never come from the page cache", async () => {
  const t = await makeTestApp();
  try {
    const anon = t.client();
    assert.match(await (await anon.get("/")).text(), /Create an account/);
    const user = await createUser(t.kv, { name: "Grace Hopper", email: "grace@example.org", passwordHash: "x" });
    const signedIn = t.client();
    signedIn.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
    const home = await (await signedIn.get("/")).text();
    assert.match(home, /Go to your dashboard/);
    assert.doesNotMatch(home, /Create an account/);
    // `next` is echoed into the form: each value renders on its own.
    const one = await (await anon.get("/signin?next=/m/1234567890")).text();
    const two = await (await anon.get("/signin?next=/dashboard")).text();
    assert.match(one, /value="\/m\/1234567890"/);
    assert.match(two, /value="\/dashboard"/);
  } finally {
    t.close();
  }
});

Deno.test("security headers are on every kind of response: pages, redirects, API errors, downloads' errors", async () => {
  const t = await makeTestApp({ PUBLIC_URL: "https://meet.example" });
  try {
    const c = t.client();
    for (
      const [path, status] of [["/signin", 200], ["/dashboard", 303], ["/api/v1/me", 401], ["/nope", 404]] as const
    ) {
      const res = await c.get(path);
      await res.body?.cancel();
      assert.equal(res.status, status, path);
      assert.match(
        res.headers.get("content-security-policy") ?? "",
        /script-src 'nonce-[\w-]+' 'strict-dynamic'/,
        path,
      );
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(res.headers.get("referrer-policy"), "same-origin", path);
      assert.match(res.headers.get("strict-transport-security") ?? "", /max-age=31536000/, path);
    }
    // The build's scripts, stylesheets and images get the headers that mean something for them, not
    // the documents' (CSP, framing, COOP, permissions), and never a cookie: they are public for a year.
    const manifest = loadManifest();
    const svg = await c.get(`/static/favicon.svg`);
    await svg.body?.cancel();
    assert.match(svg.headers.get("content-security-policy") ?? "", /default-src 'self'/, "an SVG can be a document");
    for (const path of [`/_islands/${manifest.runtime}`, `/_islands/${catalogFiles(manifest)[0]}`, "/static/app.css"]) {
      const fresh = t.client(); // no CSRF cookie yet: the one a page would set
      const res = await fresh.get(path);
      await res.body?.cancel();
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(res.headers.get("referrer-policy"), "same-origin", path);
      assert.match(res.headers.get("strict-transport-security") ?? "", /max-age=31536000/, path);
      for (const h of ["content-security-policy", "x-frame-options", "cross-origin-opener-policy", "set-cookie"]) {
        assert.equal(res.headers.get(h), null, `${path}: ${h}`);
      }
    }
    // A worker runs under the policy its own script came with: the effects' worker keeps the strict one.
    const worker = manifest.chunks.find((f) => /^effects_worker-/.test(f));
    assert.ok(worker, "the effects worker is a built chunk");
    const res = await t.client().get(`/_islands/${worker}`);
    await res.body?.cancel();
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/, "the worker's policy");
  } finally {
    t.close();
  }
});
