// Bytes on the wire: Accept-Encoding negotiation, the build's brotli/gzip files for /static/ (hashed
// names immutable, plain names revalidated), dynamic pages gzipped on the way out (and when not),
// and a WebSocket upgrade through the compression middleware.

import assert from "node:assert/strict";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import { makeTestApp } from "./support/app.ts";
import { compressResponses, negotiateEncoding } from "../lib/web/compression.ts";
import { buildStaticAssets, loadStaticManifest, STATIC_SOURCE_DIR } from "../lib/web/islands/assets.ts";
import { createStaticAssetRoutes } from "../routes/_islands.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";

const BROWSER = "gzip, deflate, br, zstd";

// The app serves the default build (_build/static): build it, as `deno task build` does.
await buildStaticAssets();
const manifest = loadStaticManifest()!;

const bytes = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const decoded = async (res: Response): Promise<Uint8Array> => {
  const body = await bytes(res);
  const coding = res.headers.get("content-encoding");
  if (coding === "br") return new Uint8Array(brotliDecompressSync(body));
  if (coding === "gzip") return new Uint8Array(gunzipSync(body));
  assert.equal(coding, null, "only br or gzip");
  return body;
};

Deno.test("Accept-Encoding: q values, q=0, *, identity, missing and empty headers", () => {
  const both = ["br", "gzip"] as const;
  const cases: [string | undefined, string | null][] = [
    [undefined, "identity"],
    ["", "identity"],
    [BROWSER, "br"],
    ["gzip, deflate", "gzip"],
    ["GZIP, BR", "br"],
    ["br;q=0, gzip", "gzip"],
    ["br;q=0.5, gzip;q=0.8", "gzip"],
    ["br;q=0, gzip;q=0", "identity"],
    ["*", "br"],
    ["*;q=0.5, br;q=0", "gzip"],
    ["*;q=0", null],
    ["*;q=0, identity", "identity"],
    ["identity;q=0, gzip;q=0, br;q=0", null],
    ["gzip;q=0.1, identity", "identity"],
    ["deflate", "identity"],
  ];
  for (const [header, want] of cases) assert.equal(negotiateEncoding(header, both), want, String(header));
  assert.equal(negotiateEncoding(BROWSER, ["gzip"]), "gzip", "only what is offered");
  assert.equal(negotiateEncoding(BROWSER, []), "identity");
});

Deno.test("pages link static CSS and the icon by content-hashed URL; meeting.css too", async () => {
  const t = await makeTestApp();
  try {
    const html = await (await t.client().get("/signin")).text();
    assert.ok(html.includes(`href="/static/${manifest.files["app.css"].file}"`), "hashed app.css");
    assert.ok(html.includes(`href="/static/${manifest.files["favicon.svg"].file}"`), "hashed favicon");
    assert.match(manifest.files["app.css"].file, /^app-[0-9a-f]{12}\.css$/);
    assert.ok(!html.includes(`"/static/app.css"`));

    const user = await createUser(t.kv, { name: "Hana Host", email: "hana@example.org", passwordHash: "x" });
    const host = t.client();
    host.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
    const m = await createMeeting(t.kv, { hostId: user.id, title: "Weekly", settings: { lobby: false } });
    const first = await host.get(`/m/${m.meetingId}`);
    await first.body?.cancel();
    const page = first.status === 303 ? await host.get(first.headers.get("location")!) : first;
    assert.equal(page.status, 200);
    assert.ok(
      (await page.text()).includes(`href="/static/${manifest.files["meeting.css"].file}"`),
      "hashed meeting.css",
    );
  } finally {
    t.close();
  }
});

Deno.test("hashed static files: immutable, br > gzip > identity, exact bytes, Content-Length, ETag per coding", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    const url = `/static/${manifest.files["app.css"].file}`;
    const source = await Deno.readFile(`${STATIC_SOURCE_DIR}/app.css`);
    const etags = new Set<string>();
    const cases: [string | undefined, string | null][] = [
      [BROWSER, "br"],
      ["gzip", "gzip"],
      [undefined, null],
      ["br;q=0, gzip;q=0", null],
    ];
    for (const [accept, coding] of cases) {
      const res = await c.get(url, accept === undefined ? {} : { "accept-encoding": accept });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal(res.headers.get("content-type"), "text/css; charset=utf-8");
      assert.equal(res.headers.get("content-encoding"), coding, String(accept));
      assert.match(res.headers.get("vary") ?? "", /Accept-Encoding/);
      const body = await bytes(res.clone());
      assert.equal(res.headers.get("content-length"), String(body.length));
      assert.deepEqual(await decoded(res), source, `decoded ${accept}`);
      if (coding) assert.ok(body.length < source.length / 3, `${coding} is ${body.length} of ${source.length}`);
      etags.add(res.headers.get("etag")!);
    }
    assert.equal(etags.size, 3, "br, gzip and identity have their own ETags");

    const brTag = (await c.get(url, { "accept-encoding": "br" })).headers.get("etag")!;
    const revalidated = await c.get(url, { "accept-encoding": "br", "if-none-match": brTag });
    assert.equal(revalidated.status, 304);
    await revalidated.body?.cancel();
    const otherCoding = await c.get(url, { "accept-encoding": "gzip", "if-none-match": brTag });
    assert.equal(otherCoding.status, 200, "a brotli validator does not match the gzip bytes");
    await otherCoding.body?.cancel();

    const head = await c.request(url, { method: "HEAD", headers: { "accept-encoding": "br" } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-encoding"), "br");
    assert.equal((await bytes(head)).length, 0);

    const gone = await c.get("/static/app-000000000000.css");
    assert.equal(gone.status, 404, "a hash the build does not have");
    await gone.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("plain /static/ names still work for old pages: revalidated, coded from the build", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    const res = await c.get("/static/meeting.css", { "accept-encoding": BROWSER });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.equal(res.headers.get("content-encoding"), "br");
    assert.deepEqual(await decoded(res.clone()), await Deno.readFile(`${STATIC_SOURCE_DIR}/meeting.css`));
    const again = await c.get("/static/meeting.css", {
      "accept-encoding": BROWSER,
      "if-none-match": res.headers.get("etag")!,
    });
    assert.equal(again.status, 304);
    await again.body?.cancel();
    const sw = await c.get("/static/sw.js", { "accept-encoding": "gzip" });
    assert.equal(sw.headers.get("content-encoding"), "gzip");
    assert.equal(sw.headers.get("content-type"), "text/javascript; charset=utf-8");
    await sw.body?.cancel();
    for (const path of ["/static/nope.css", "/static/..%2Fdeno.json", "/static/manifest.json"]) {
      const r = await c.get(path);
      assert.equal(r.status, 404, path);
      await r.body?.cancel();
    }
  } finally {
    t.close();
  }
});

Deno.test("a plain name whose source changed since the build is served as it is now, gzipped on the fly", async () => {
  const src = await Deno.makeTempDir({ prefix: "talkspace-static-src-" });
  const out = await Deno.makeTempDir({ prefix: "talkspace-static-out-" });
  try {
    const css = (v: number) => `.a${v} { color: red; }\n`.repeat(200);
    await Deno.writeTextFile(`${src}/site.css`, css(1));
    await buildStaticAssets({ sourceDir: src, outDir: out });
    await Deno.writeTextFile(`${src}/site.css`, css(2));
    const app = new Hono().use(compressResponses()).route(
      "/",
      createStaticAssetRoutes({ sourceDir: src, buildDir: out }),
    );
    const res = await app.request("/static/site.css", { headers: { "accept-encoding": BROWSER } });
    assert.equal(res.headers.get("content-encoding"), "gzip", "not the build's (stale) brotli");
    assert.equal(new TextDecoder().decode(await decoded(res)), css(2));
    const hashed = loadStaticManifest(out)!.files["site.css"].file;
    const old = await app.request(`/static/${hashed}`, { headers: { "accept-encoding": BROWSER } });
    assert.equal(new TextDecoder().decode(await decoded(old)), css(1), "the hashed name keeps its bytes");
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("HTML is gzipped when asked, same bytes as uncompressed; not when not asked or cross-site", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    await (await c.get("/signin")).body?.cancel(); // the CSRF cookie, so both renders hold one token
    const plain = await c.get("/signin");
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.match(plain.headers.get("vary") ?? "", /Accept-Encoding/);
    const plainHtml = await plain.text();
    const gz = await c.get("/signin", { "accept-encoding": BROWSER });
    assert.equal(gz.headers.get("content-encoding"), "gzip");
    assert.match(gz.headers.get("vary") ?? "", /Accept-Encoding/);
    assert.match(gz.headers.get("content-security-policy") ?? "", /nonce-/, "security headers kept");
    const body = await bytes(gz.clone());
    assert.equal(gz.headers.get("content-length"), String(body.length));
    const gzHtml = new TextDecoder().decode(await decoded(gz));
    const noNonce = (s: string) => s.replace(/nonce-?[=\w"-]*/g, "N");
    assert.equal(noNonce(gzHtml), noNonce(plainHtml), "decompressed page = uncompressed page (nonce aside)");
    assert.ok(body.length < new TextEncoder().encode(plainHtml).length * 0.75, "smaller");

    // A page a cross-site page made the browser fetch stays uncompressed (BREACH).
    const cross = await c.get("/signin", { "accept-encoding": BROWSER, "sec-fetch-site": "cross-site" });
    assert.equal(cross.headers.get("content-encoding"), null);
    await cross.body?.cancel();
    const same = await c.get("/signin", { "accept-encoding": BROWSER, "sec-fetch-site": "same-origin" });
    assert.equal(same.headers.get("content-encoding"), "gzip");
    await same.body?.cancel();
    const refused = await c.get("/signin", { "accept-encoding": "gzip;q=0, br" });
    assert.equal(refused.headers.get("content-encoding"), null, "gzip;q=0 is honoured (br is for build files)");
    await refused.body?.cancel();

    // Bodies under 1 KB (API errors; the 404 page grew past it with the app's <head>) are not worth coding.
    const api = await c.get("/api/v1/me", { "accept-encoding": BROWSER });
    assert.equal(api.status, 401);
    assert.equal(api.headers.get("content-encoding"), null, "under 1 KB");
    assert.equal(api.headers.get("content-length"), String((await bytes(api)).length));
  } finally {
    t.close();
  }
});

Deno.test("the middleware leaves coded, no-transform, event-stream, tiny and HEAD responses alone; streams big ones", async () => {
  const big = "0123456789abcdef".repeat(128 * 1024); // 2 MiB: past the whole-body limit
  const app = new Hono().use(compressResponses())
    .get("/big", (c) => c.text(big, 200, { ETag: '"v1"' }))
    .get("/small", (c) => c.text("short"))
    .get("/raw", (c) => c.body(new TextEncoder().encode(big.slice(0, 5000)), 200, { "Content-Type": "image/png" }))
    .get("/no-transform", (c) => c.text(big.slice(0, 5000), 200, { "Cache-Control": "no-transform" }))
    .get("/events", (c) => c.body(big.slice(0, 5000), 200, { "Content-Type": "text/event-stream" }))
    .get("/coded", (c) => c.body(big.slice(0, 5000), 200, { "Content-Type": "text/plain", "Content-Encoding": "br" }));
  const get = (path: string, method = "GET") => app.request(path, { method, headers: { "accept-encoding": BROWSER } });

  const res = await get("/big");
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("content-length"), null, "streamed");
  assert.equal(res.headers.get("etag"), 'W/"v1"', "a coded body's validator is weak");
  assert.equal(new TextDecoder().decode(await decoded(res)), big);
  for (const path of ["/small", "/raw", "/no-transform", "/events", "/coded"]) {
    const r = await get(path);
    assert.equal(r.headers.get("content-encoding"), path === "/coded" ? "br" : null, path);
    await r.body?.cancel();
  }
  const head = await get("/big", "HEAD");
  assert.equal(head.headers.get("content-encoding"), null);
});

Deno.test("a WebSocket upgrade goes through the compression middleware untouched", async () => {
  const app = new Hono().use(compressResponses()).get(
    "/ws",
    upgradeWebSocket(() => ({ onMessage: (e, ws) => ws.send(`echo ${e.data}`) })),
  );
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} }, app.fetch);
  try {
    // A raw handshake that asks for gzip, as a browser's request headers may.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
    await conn.write(new TextEncoder().encode(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAccept-Encoding: gzip, br\r\n\r\n",
    ));
    const buf = new Uint8Array(1024);
    let head = "";
    while (!head.includes("\r\n\r\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    conn.close();
    assert.match(head, /^HTTP\/1\.1 101/);
    assert.match(head, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    assert.doesNotMatch(head, /content-encoding/i);

    // And a real client exchanges messages.
    const ws = new WebSocket(`ws://127.0.0.1:${server.addr.port}/ws`);
    const reply = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send("hi");
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("WebSocket failed"));
    });
    assert.equal(reply, "echo hi");
    const closed = new Promise((r) => (ws.onclose = r));
    ws.close();
    await closed;
  } finally {
    ac.abort();
    await server.finished;
  }
});
