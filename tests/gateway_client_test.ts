// The gateway client against the gateway's real HTTP API (in-process, Janus not connected):
// the signing scheme is accepted when intact and refused when anything is tampered with or stale.

import assert from "node:assert/strict";
import { createHttpApi } from "../gateway/http_api.ts";
import { MAX_SKEW_MS, SIGNATURE_HEADER, signRequest, TIMESTAMP_HEADER, verifyRequest } from "../lib/common/signing.ts";
import { VideoRoomManager } from "../gateway/plugins/videoroom.ts";
import { setQuiet } from "../lib/common/log.ts";
import { createGatewayClient, GatewayError, GatewayUnavailable } from "../lib/meetings/gateway_client.ts";

setQuiet(true);
const SECRET = "test-secret-0123456789abcdef";

async function withGateway(fn: (url: string) => Promise<void>) {
  const app = createHttpApi({
    secret: SECRET,
    rooms: new VideoRoomManager("unused-admin-key"),
    janusConnected: () => false,
    janusUrl: "ws://127.0.0.1:8188/",
    iceServers: [],
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

/** A fetch that lets a test change the request after the client signed it. */
function tampering(change: (url: string, init: RequestInit) => Promise<[string, RequestInit]> | [string, RequestInit]) {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const [url, changed] = await change(String(input), { ...init, headers: { ...(init?.headers as object) } });
    return fetch(url, changed);
  }) as typeof fetch;
}

/** The error a promise rejects with, checked to be of `type`. */
async function rejection<E extends Error>(p: Promise<unknown>, type: new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    return err;
  }
  throw new Error(`expected ${type.name}, but the call succeeded`);
}

async function status(p: Promise<unknown>): Promise<number> {
  return (await rejection(p, GatewayError)).status;
}

Deno.test("an intact signed request passes authentication (503: Janus is not connected here)", async () => {
  await withGateway(async (url) => {
    const client = createGatewayClient({ url, secret: SECRET });
    assert.deepEqual(await status(client.ensureRoom("1234567890")), 503);
    assert.deepEqual(await client.health(), { ok: true, janus: "disconnected", rooms: 0 });
  });
});

Deno.test("input is validated after authentication, with field messages", async () => {
  await withGateway(async (url) => {
    const client = createGatewayClient({ url, secret: SECRET });
    const err = await rejection(client.admitParticipant("12345", "p1"), GatewayError);
    assert.deepEqual(err.status, 422);
    assert.deepEqual(err.problem.errors, { meetingId: "must be 10 digits" });
    assert.equal(err.problem.status, 422);
  });
});

Deno.test("a tampered body, path or method, or a wrong secret, is refused with a 401 problem that does not say why", async () => {
  await withGateway(async (url) => {
    const body = tampering((u, init) => [u, { ...init, body: JSON.stringify({ participantId: "someone-else" }) }]);
    const path = tampering((u, init) => [u.replace("1234567890", "1234567891"), init]);
    const method = tampering((u, init) => [u, { ...init, method: "PUT" }]);
    const tamperedBody = createGatewayClient({ url, secret: SECRET, fetch: body });
    const tamperedPath = createGatewayClient({ url, secret: SECRET, fetch: path });
    const tamperedMethod = createGatewayClient({ url, secret: SECRET, fetch: method });
    const wrongSecret = createGatewayClient({ url, secret: SECRET + "x" });
    // Each request starts only when it is awaited: a rejection with no handler yet attached would
    // count as an uncaught error.
    for (
      const call of [
        () => tamperedBody.admitParticipant("1234567890", "p1"),
        () => tamperedPath.admitParticipant("1234567890", "p1"),
        () => tamperedMethod.destroyRoom("1234567890"),
        () => wrongSecret.ensureRoom("1234567890"),
      ]
    ) {
      const err = await rejection(call(), GatewayError);
      assert.deepEqual(err.status, 401);
      assert.deepEqual(err.problem, {
        type: "about:blank",
        title: "Sign in required",
        status: 401,
        detail: "the request is not signed with the shared secret",
      });
    }
    // No headers at all.
    const res = await fetch(`${url}/internal/rooms/1234567890`, { method: "DELETE" });
    assert.deepEqual(res.status, 401);
    await res.body?.cancel();
  });
});

Deno.test("a correctly signed but stale (or future) timestamp is refused; inside the window it passes", async () => {
  await withGateway(async (url) => {
    const resign = (offsetMs: number) =>
      tampering((u, init) => {
        const ts = String(Date.now() + offsetMs);
        const headers = init.headers as Record<string, string>;
        headers[TIMESTAMP_HEADER] = ts;
        headers[SIGNATURE_HEADER] = signRequest(
          SECRET,
          init.method!,
          new URL(u).pathname,
          ts,
          String(init.body ?? ""),
        );
        return [u, init];
      });
    const stale = createGatewayClient({ url, secret: SECRET, fetch: resign(-MAX_SKEW_MS - 5_000) });
    const future = createGatewayClient({ url, secret: SECRET, fetch: resign(MAX_SKEW_MS + 5_000) });
    const recent = createGatewayClient({ url, secret: SECRET, fetch: resign(-MAX_SKEW_MS + 5_000) });
    assert.deepEqual(await status(stale.ensureRoom("1234567890")), 401);
    assert.deepEqual(await status(future.ensureRoom("1234567890")), 401);
    assert.deepEqual(await status(recent.ensureRoom("1234567890")), 503);
  });
});

Deno.test("a gateway that is down gives GatewayUnavailable", async () => {
  let url = "";
  await withGateway((u) => {
    url = u;
    return Promise.resolve();
  });
  const client = createGatewayClient({ url, secret: SECRET, timeoutMs: 2000 });
  await rejection(client.ensureRoom("1234567890"), GatewayUnavailable);
  await rejection(client.health(), GatewayUnavailable);
});

Deno.test("verifyRequest: reasons for the logs", () => {
  const now = Date.now();
  const sig = signRequest(SECRET, "POST", "/x", String(now), "{}");
  const headers = { timestamp: String(now), signature: sig };
  assert.ok((verifyRequest(SECRET, "POST", "/x", "{}", headers, now)).ok);
  assert.deepEqual(verifyRequest(SECRET, "POST", "/x", "{} ", headers, now), {
    ok: false,
    reason: "bad-signature",
  });
  assert.deepEqual(
    verifyRequest(SECRET, "POST", "/x", "{}", { timestamp: null, signature: sig }, now),
    { ok: false, reason: "missing" },
  );
  assert.deepEqual(
    verifyRequest(SECRET, "POST", "/x", "{}", headers, now + MAX_SKEW_MS + 1),
    { ok: false, reason: "stale" },
  );
});

/** A stand-in gateway on loopback that answers every request with `answer` (a proxy, an old build). */
async function withAnswer(answer: () => Response, fn: (url: string) => Promise<void>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, answer);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("a 2xx body outside the contract is a GatewayError naming the fields, not a wrong value", async () => {
  await withAnswer(() => Response.json({ room: "1234567890" }), async (url) => {
    const client = createGatewayClient({ url, secret: SECRET });
    const err = await rejection(client.ensureRoom("1234567890"), GatewayError);
    assert.equal(err.status, 200);
    assert.deepEqual(Object.keys(err.problem.errors ?? {}), ["room"]);
  });
  await withAnswer(() => new Response(null, { status: 204 }), async (url) => {
    const client = createGatewayClient({ url, secret: SECRET });
    await client.admitCall("c1"); // no content is what the contract says
    const err = await rejection(client.admitParticipant("1234567890", "p1"), GatewayError);
    assert.deepEqual(Object.keys(err.problem.errors ?? {}).sort(), ["body"]);
  });
});

Deno.test("an error answer that is not problem details still gives a status and a detail", async () => {
  await withAnswer(() => new Response("<html>Bad Gateway</html>", { status: 502 }), async (url) => {
    const client = createGatewayClient({ url, secret: SECRET });
    const err = await rejection(client.destroyRoom("1234567890"), GatewayError);
    assert.deepEqual(err.problem, {
      type: "about:blank",
      title: "Bad gateway",
      status: 502,
      detail: "answered 502 without problem details",
    });
  });
});
