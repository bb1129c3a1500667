// Request body limits against the real web process (and the gateway's API in-process on a real
// socket): a declared Content-Length over the limit is answered 413 before the body is sent at all,
// a chunked body is cut off at the limit, five parallel 20 MB posts leave the process's memory
// (VmRSS) nearly where it was, bodies at the limit still pass, and the CSRF and sign-in checks
// still answer as before.

import assert from "node:assert/strict";
import { startServer } from "./support/server.ts";
import type { RunningServer } from "./support/server.ts";
import { createHttpApi } from "../gateway/http_api.ts";
import { VideoRoomManager } from "../gateway/plugins/videoroom.ts";
import { setQuiet } from "../lib/common/log.ts";
import { BODY_LIMITS } from "../lib/web/middleware.ts";

setQuiet(true);

const MB = 1024 * 1024;
const GATEWAY_SECRET = "body-limit-test-secret-0123456789";

/** The process's resident set size in bytes (Linux /proc). */
async function rssOf(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  assert.ok(kb > 0, "VmRSS readable");
  return kb * 1024;
}

/**
 * Sends only the request head (declaring `contentLength`) and reads the answer's status line: the
 * server must answer without waiting for a body that never comes.
 */
async function headOnly(url: string, path: string, headers: Record<string, string>, contentLength: number) {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname: hostname === "localhost" ? "127.0.0.1" : hostname, port: Number(port) });
  try {
    const head = [`POST ${path} HTTP/1.1`, `Host: ${new URL(url).host}`, `Content-Length: ${contentLength}`];
    for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
    await conn.write(new TextEncoder().encode(head.join("\r\n") + "\r\n\r\n"));
    const buf = new Uint8Array(16 * 1024);
    let text = "";
    let timedOut = false;
    // A server that waits for the body never answers: closing the connection ends the pending read.
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, 10_000);
    try {
      while (!text.includes("\r\n\r\n")) {
        const n = await conn.read(buf).catch(() => null);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
    } finally {
      clearTimeout(timer);
    }
    if (timedOut) throw new Error(`no answer within 10 s without the body; got ${JSON.stringify(text)}`);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), head: text.toLowerCase() };
  } finally {
    try {
      conn.close();
    } catch { /* closed by the timeout */ }
  }
}

/** Sends a whole `size`-byte body with its Content-Length; a refusal mid-upload may reset the connection. */
async function postWhole(url: string, size: number, type: string): Promise<number | "reset"> {
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": type }, body: new Uint8Array(size) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return "reset"; // the server answered and closed while we were still sending: it did not read it
  }
}

/** A chunked body (no Content-Length) of up to `size` bytes; reports how much the server pulled. */
function chunked(size: number, fill = 0x61) {
  let pulled = 0;
  const chunk = new Uint8Array(16 * 1024).fill(fill);
  const body = new ReadableStream<Uint8Array>({
    pull(ctl) {
      if (pulled >= size) return ctl.close();
      const part = chunk.subarray(0, Math.min(chunk.length, size - pulled));
      pulled += part.length;
      ctl.enqueue(part);
    },
  });
  return { body, pulled: () => pulled };
}

async function withWeb(fn: (web: RunningServer) => Promise<void>) {
  const web = await startServer({ TALKSPACE_LOG: "quiet", GATEWAY_SECRET });
  try {
    await fn(web);
  } catch (err) {
    console.error(web.output().slice(-3000));
    throw err;
  } finally {
    await web.stop();
    await Deno.remove(web.dataDir, { recursive: true }).catch(() => {});
  }
}

Deno.test("a declared oversized body is refused with 413 before it is sent, as a page or problem details", async () => {
  await withWeb(async (web) => {
    const form = { "content-type": "application/x-www-form-urlencoded" };
    const signin = await headOnly(web.url, "/signin", form, 20 * MB);
    assert.equal(signin.status, 413);
    assert.match(signin.head, /content-type: text\/html/);

    const json = await headOnly(web.url, "/api/v1/meetings", { "content-type": "application/json" }, 10 * MB);
    assert.equal(json.status, 413, "10 MB of JSON is refused before it is parsed (or even sent)");
    assert.match(json.head, /content-type: application\/problem\+json/);

    const internal = await headOnly(web.url, "/internal/sip/resolve", { "content-type": "application/json" }, 2 * MB);
    assert.equal(internal.status, 413);
    assert.match(internal.head, /content-type: application\/problem\+json/);

    // Just over the limits.
    assert.equal((await headOnly(web.url, "/signin", form, BODY_LIMITS.form + 1)).status, 413);
    const overJson = await headOnly(web.url, "/api/v1/meetings", { "content-type": "application/json" }, MB + 1);
    assert.equal(overJson.status, 413);

    // The problem body says what the limit is.
    const res = await fetch(`${web.url}/api/v1/meetings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array(MB + 1),
    });
    assert.equal(res.status, 413);
    const problem = await res.json();
    assert.equal(problem.status, 413);
    assert.match(problem.detail, /at most 1 MB/);
  });
});

Deno.test("five parallel 20 MB form posts are refused without the process holding them", async () => {
  await withWeb(async (web) => {
    // Warm up the paths once so the first-use compilation is not counted as growth.
    assert.equal(await postWhole(`${web.url}/signin`, BODY_LIMITS.form + 1, "application/x-www-form-urlencoded"), 413);
    const before = await rssOf(web.pid);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => postWhole(`${web.url}/signin`, 20 * MB, "application/x-www-form-urlencoded")),
    );
    const ms = performance.now() - started;
    const after = await rssOf(web.pid);
    for (const a of answers) assert.ok(a === 413 || a === "reset", `answered ${a}`);
    const growth = after - before;
    console.log(`5 × 20 MB: ${answers.join(",")} in ${ms.toFixed(0)} ms; RSS ${before >> 20} → ${after >> 20} MB`);
    assert.ok(growth < 50 * MB, `RSS grew by ${(growth / MB).toFixed(1)} MB`);

    // Chunked, no length: refused at the limit, and the server stops pulling long before 20 MB.
    const stream = chunked(20 * MB);
    let status: number | "reset";
    try {
      const res = await fetch(`${web.url}/signin`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: stream.body,
      });
      status = res.status;
      await res.body?.cancel();
    } catch {
      status = "reset";
    }
    assert.equal(status, 413);
    assert.ok(stream.pulled() < 10 * MB, `the client had to produce ${stream.pulled()} bytes`);
    const chunkedJson = chunked(2 * MB);
    const res = await fetch(`${web.url}/api/v1/meetings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chunkedJson.body,
    });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).status, 413);
  });
});

Deno.test("bodies at the limit pass, and CSRF and sign-in answer as before", async () => {
  await withWeb(async (web) => {
    const origin = { origin: web.url, "content-type": "application/x-www-form-urlencoded" };
    // A form of exactly 64 KB with our Origin reaches the sign-in handler (a wrong password, not a 413).
    const fields = "email=nobody%40example.org&password=wrong&pad=";
    const atLimit = fields + "x".repeat(BODY_LIMITS.form - fields.length);
    assert.equal(atLimit.length, BODY_LIMITS.form);
    const signin = await fetch(`${web.url}/signin`, { method: "POST", headers: origin, body: atLimit });
    const page = await signin.text();
    assert.notEqual(signin.status, 413);
    assert.ok(signin.status === 401 || signin.status === 422, `sign-in answered ${signin.status}`);
    assert.doesNotMatch(page, /too large/i);
    // The same at the limit, chunked.
    const stream = new Blob([atLimit]).stream();
    const chunkedSignin = await fetch(`${web.url}/signin`, { method: "POST", headers: origin, body: stream });
    await chunkedSignin.body?.cancel();
    assert.ok(chunkedSignin.status === 401 || chunkedSignin.status === 422, `chunked: ${chunkedSignin.status}`);

    // A small cross-site form is still refused by CSRF (403); a foreign oversized one by its size.
    const foreign = { origin: "https://evil.test", "content-type": "application/x-www-form-urlencoded" };
    const csrf = await fetch(`${web.url}/signin`, { method: "POST", headers: foreign, body: "email=a&password=b" });
    await csrf.body?.cancel();
    assert.equal(csrf.status, 403);
    assert.equal((await headOnly(web.url, "/signin", foreign, 20 * MB)).status, 413);

    // JSON of exactly 1 MB reaches the API's sign-in check (401), not the size check.
    const json = JSON.stringify({ title: "x".repeat(MB - 12) });
    assert.equal(new TextEncoder().encode(json).length, MB);
    const api = await fetch(`${web.url}/api/v1/meetings`, {
      method: "POST",
      headers: { origin: web.url, "content-type": "application/json" },
      body: json,
    });
    assert.equal(api.status, 401);
    await api.body?.cancel();
  });
});

Deno.test("the gateway's internal API refuses oversized bodies before reading or verifying them", async () => {
  const app = createHttpApi({
    secret: GATEWAY_SECRET,
    rooms: new VideoRoomManager("unused-admin-key"),
    janusConnected: () => false,
    janusUrl: "ws://127.0.0.1:8188/",
    iceServers: [],
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const declared = await headOnly(url, "/internal/rooms/123", { "content-type": "application/json" }, 20 * MB);
    assert.equal(declared.status, 413);
    assert.match(declared.head, /content-type: application\/problem\+json/);
    const stream = chunked(20 * MB);
    let status: number | "reset";
    try {
      const res = await fetch(`${url}/internal/rooms/123`, { method: "PUT", body: stream.body });
      status = res.status;
      await res.body?.cancel();
    } catch {
      status = "reset";
    }
    assert.equal(status, 413);
    assert.ok(stream.pulled() < 10 * MB, `the client had to produce ${stream.pulled()} bytes`);
    // Under the limit the signature check answers (401 unsigned), as before.
    const small = await fetch(`${url}/internal/rooms/123`, { method: "PUT", body: "{}" });
    await small.body?.cancel();
    assert.equal(small.status, 401);
  } finally {
    await server.shutdown();
  }
});
