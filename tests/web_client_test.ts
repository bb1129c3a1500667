// gateway/web_client.ts against real servers on loopback: signed requests over kept-alive HTTP/1.1
// connections (Deno.serve), chunked and close-delimited answers, a web app that closes idle
// connections, and one that never answers.

import assert from "node:assert/strict";
import { verifyRequest } from "../lib/common/signing.ts";
import { createWebClient, Http1Pool, WebError, WebUnavailable } from "../gateway/web_client.ts";
import { problem } from "../lib/contracts/problem.ts";

const SECRET = "test-secret";

async function until(what: string, ok: () => boolean, ms = 2_000) {
  const end = performance.now() + ms;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

Deno.test("requests are signed and share one kept-alive connection", async () => {
  const peers: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req, info) => {
    peers.push(info.remoteAddr.port);
    const url = new URL(req.url);
    const body = await req.text();
    const ok = verifyRequest(SECRET, req.method, url.pathname, body, {
      timestamp: req.headers.get("x-talkspace-timestamp"),
      signature: req.headers.get("x-talkspace-signature"),
    });
    if (!ok.ok) return problem(401, "unsigned");
    if (url.pathname === "/internal/sip/resolve") {
      const { meetingId, passcode } = JSON.parse(body);
      // A refusal is problem details with a `code` (lib/contracts/sip_api.ts); the old bare shape breaks the contract.
      if (passcode === "old") return Response.json({ error: "bad-passcode" }, { status: 403 });
      if (passcode !== "42") return problem(403, "wrong", { code: "bad-passcode", passcodeRequired: true });
      return Response.json({ meetingId, title: "Daily ✓", passcodeRequired: true, locale: "de" });
    }
    if (url.pathname.endsWith("/state")) return new Response(null, { status: 204 });
    return new Response("<html>bad gateway</html>", { status: 502 });
  });
  const web = createWebClient({ url: `http://127.0.0.1:${server.addr.port}/`, secret: SECRET });
  try {
    assert.deepEqual(await web.resolve("1234567890", "42", "127.0.0.1"), {
      ok: true,
      meetingId: "1234567890",
      title: "Daily ✓",
      passcodeRequired: true,
      locale: "de",
    });
    assert.deepEqual(await web.resolve("1234567890", "41", "127.0.0.1"), {
      ok: false,
      status: 403,
      error: "bad-passcode",
      passcodeRequired: true,
      retryAfterMs: null,
      locale: null,
    });
    await assert.rejects(
      () => web.resolve("1234567890", "old", "127.0.0.1"),
      (e) => e instanceof WebError && e.status === 403 && /without problem details/.test(e.problem.detail),
    );
    await web.callState("c1", { speaking: true });
    await assert.rejects(
      () => web.progress("c1", "ringing"),
      (e) => e instanceof WebError && e.status === 502 && e.problem.title === "Bad gateway",
    );
    assert.deepEqual(peers.length, 5);
    assert.deepEqual(new Set(peers).size, 1, `one connection for sequential requests, got ports ${peers}`);
    // Concurrent requests each get a connection.
    await Promise.all([web.callState("c1", {}), web.callState("c2", {}), web.callState("c3", {})]);
    assert(new Set(peers.slice(5)).size === 3);
  } finally {
    web.close();
    await server.shutdown();
  }
});

Deno.test("chunked answers are read whole", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    const parts = ['{"meetingId":"1234567890",', '"title":"', "x".repeat(20_000), '","passcodeRequired":false}'];
    const stream = new ReadableStream({
      pull(c) {
        const p = parts.shift();
        if (p === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(p));
      },
    });
    return new Response(stream, { headers: { "content-type": "application/json" } });
  });
  const web = createWebClient({ url: `http://127.0.0.1:${server.addr.port}`, secret: SECRET });
  try {
    const r = await web.resolve("1234567890", null, "127.0.0.1");
    assert(r.ok);
    assert.deepEqual(r.title.length, 20_000);
    const again = await web.resolve("1234567890", null, "127.0.0.1");
    assert(again.ok);
  } finally {
    web.close();
    await server.shutdown();
  }
});

/** A raw HTTP server: answers each request with `answer`, then does what `after` says. */
function rawServer(answer: string, after: "close" | "keep" | "silent") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let accepted = 0;
  const done = (async () => {
    for await (const conn of listener) {
      accepted++;
      conns.push(conn);
      void (async () => {
        const buf = new Uint8Array(65536);
        try {
          while ((await conn.read(buf)) !== null) {
            if (after === "silent") continue;
            await conn.write(new TextEncoder().encode(answer));
            if (after === "close") conn.close();
          }
        } catch { /* closed */ }
      })();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    async stop() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await done;
    },
  };
}

Deno.test("a connection the web app closed while idle is not reused", async () => {
  // No Connection: close header, so only the pending read while idle shows the close.
  const srv = rawServer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "close");
  const pool = new Http1Pool("127.0.0.1", srv.port, `127.0.0.1:${srv.port}`);
  try {
    assert.deepEqual(await pool.request("GET", "/a", {}, "", 1_000), { status: 200, body: "ok" });
    await until("the close seen", () => pool.idle === 0);
    assert.deepEqual(await pool.request("GET", "/b", {}, "", 1_000), { status: 200, body: "ok" });
    assert.deepEqual(srv.accepted, 2);
  } finally {
    pool.close();
    await srv.stop();
  }
});

Deno.test("an answer delimited by the connection's end, and HTTP/1.0 without keep-alive", async () => {
  const srv = rawServer("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", "close");
  const pool = new Http1Pool("127.0.0.1", srv.port, `127.0.0.1:${srv.port}`);
  try {
    assert.deepEqual(await pool.request("POST", "/a", { "content-type": "text/plain" }, "hi", 1_000), {
      status: 200,
      body: "until the end",
    });
    assert.deepEqual(pool.idle, 0);
  } finally {
    pool.close();
    await srv.stop();
  }
});

Deno.test("a web app that does not answer is unavailable after the timeout; one that is down too", async () => {
  const srv = rawServer("", "silent");
  const web = createWebClient({ url: `http://127.0.0.1:${srv.port}`, secret: SECRET, timeoutMs: 100 });
  try {
    const t = performance.now();
    await assert.rejects(
      () => web.resolve("1234567890", null, "127.0.0.1"),
      (e) => e instanceof WebUnavailable && e.message.includes("no answer within 100 ms"),
    );
    assert(performance.now() - t < 1_000);
  } finally {
    web.close();
    await srv.stop();
  }
  const down = createWebClient({ url: `http://127.0.0.1:${srv.port}`, secret: SECRET, timeoutMs: 100 });
  await assert.rejects(() => down.resolve("1234567890", null, "127.0.0.1"), WebUnavailable);
  down.close();
});

Deno.test("garbage instead of HTTP is an error, not a hang", async () => {
  const srv = rawServer("SIP/2.0 200 OK\r\n\r\n", "keep");
  const web = createWebClient({ url: `http://127.0.0.1:${srv.port}`, secret: SECRET, timeoutMs: 1_000 });
  try {
    await assert.rejects(
      () => web.resolve("1234567890", null, "127.0.0.1"),
      (e) => e instanceof WebUnavailable && e.message.includes("not an HTTP/1.x response"),
    );
  } finally {
    web.close();
    await srv.stop();
  }
});
