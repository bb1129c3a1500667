// Web push reminders end to end: the real web process sends a reminder to a local HTTPS push
// service (our own test CA, handed over with DENO_CERT); the test checks the VAPID JWT, decrypts
// the aes128gcm payload with its own subscriber keys, sees a 410 remove a device, and restarts the
// web process between scheduling and firing to prove the reminder is delivered exactly once.
// Also: the subscription API in-process (production refuses loopback endpoints), and the service
// worker and settings island in headless Chromium.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import { freePort, startServer } from "./support/server.ts";
import type { RunningServer } from "./support/server.ts";
import { browserUnavailable, launchBrowser } from "./support/browser.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createUser } from "../lib/accounts/users.ts";
import { hashToken } from "../lib/common/ids.ts";
import { decryptPush, makeSubscriber, verifyVapid, waitFor } from "../lib/reminders/testing.ts";
import type { Subscriber } from "../lib/reminders/testing.ts";
import { translator } from "../lib/i18n/translate.ts";

/** What the island says where push is unavailable (the page is English here). */
const UNSUPPORTED_MESSAGE = translator("en")("push.unsupported");

// ---------------------------------------------------------------------------------------------
// A local push service over HTTPS

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
}

/** A throwaway CA and a certificate for 127.0.0.1 signed by it (openssl). */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=Talkspace test push CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await run("openssl", ["req", ...ec, "-keyout", "push.key", "-out", "push.csr", "-subj", "/CN=127.0.0.1"], dir);
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    "push.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "push.pem",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
  ], dir);
  return { ca: `${dir}/ca.pem`, cert: `${dir}/push.pem`, key: `${dir}/push.key` };
}

interface PushRequest {
  path: string;
  headers: Headers;
  body: Uint8Array;
}

interface FakePushService {
  origin: string;
  requests: PushRequest[];
  /** Status to answer per path (201 otherwise). */
  statusFor: Map<string, number>;
  to(path: string): PushRequest[];
  close(): Promise<void>;
}

async function startPushService(tls: { cert: string; key: string }): Promise<FakePushService> {
  const requests: PushRequest[] = [];
  const statusFor = new Map<string, number>();
  const ac = new AbortController();
  const { promise: listening, resolve } = Promise.withResolvers<number>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(tls.cert),
    key: await Deno.readTextFile(tls.key),
    signal: ac.signal,
    onListen: ({ port }) => resolve(port),
  }, async (req) => {
    const path = new URL(req.url).pathname;
    // Copied: a served request's headers are unreadable once the response went out.
    requests.push({ path, headers: new Headers(req.headers), body: new Uint8Array(await req.arrayBuffer()) });
    return new Response(null, { status: statusFor.get(path) ?? 201 });
  });
  const port = await listening;
  return {
    origin: `https://127.0.0.1:${port}`,
    requests,
    statusFor,
    to: (path) => requests.filter((r) => r.path === path),
    async close() {
      ac.abort();
      await server.finished;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Talking to the real web process

class Session {
  cookie = "";
  constructor(public base: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    if (init.method && init.method !== "GET") headers.set("origin", new URL(this.base).origin);
    return await fetch(`${this.base}${path}`, { ...init, headers, redirect: "manual" });
  }

  async json(method: string, path: string, body: unknown): Promise<Response> {
    return await this.request(path, {
      method,
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });
  }

  async signUp(email: string): Promise<void> {
    const res = await this.request("/signup", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name: "Ada Lovelace", email, password: "correct horse battery" }).toString(),
    });
    await res.body?.cancel();
    assert.equal(res.status, 303, "sign-up did not redirect");
    // Sign-up signs no one in (its answer must not tell whether the address had an account).
    const signin = await this.request("/signin", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, password: "correct horse battery" }).toString(),
    });
    await signin.body?.cancel();
    assert.equal(signin.status, 303, "sign-in after sign-up failed");
    this.cookie = signin.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    assert.match(this.cookie, /ts_session=/);
    // Scheduling needs a confirmed address: open the link from the development outbox.
    const link = await waitFor("the verification email", async () => {
      const outbox: { to: string; text: string }[] = await (await this.request("/dev/outbox.json")).json();
      const mail = outbox.find((m) => m.to.toLowerCase() === email);
      return mail?.text.match(/https?:\/\/\S+\/verify\/\S+/)?.[0];
    });
    const verified = await this.request(new URL(link).pathname);
    await verified.body?.cancel();
    const me = await (await this.request("/api/v1/me")).json();
    assert.equal(me.emailVerified, true, "the email address was not confirmed");
  }
}

/** A wall-clock start in UTC, `YYYY-MM-DDTHH:MM:SS`, `ms` from now. */
function startsIn(ms: number): { startsAt: string; at: number } {
  const at = Math.ceil((Date.now() + ms) / 1000) * 1000;
  return { startsAt: new Date(at).toISOString().slice(0, 19), at };
}

async function scheduleMeeting(s: Session, title: string, inMs: number): Promise<{ meetingId: string; at: number }> {
  const { startsAt, at } = startsIn(inMs);
  const res = await s.json("POST", "/api/v1/meetings", { title, startsAt, timeZone: "UTC", durationMinutes: 30 });
  assert.equal(res.status, 201, `scheduling failed: ${await res.clone().text()}`);
  return { meetingId: (await res.json()).meetingId, at };
}

async function subscribe(s: Session, sub: Subscriber, endpoint: string): Promise<void> {
  const res = await s.json("POST", "/api/v1/push/subscriptions", sub.json(endpoint));
  assert.equal(res.status, 201, `subscribing failed: ${await res.clone().text()}`);
  await res.body?.cancel();
}

Deno.test({
  name: "a reminder reaches a local push service once across a restart: VAPID-signed, decryptable, 410 removes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "talkspace-push-" });
    const tls = await makeCertificates(dir);
    const push = await startPushService(tls);
    const port = freePort();
    const env = { DENO_CERT: tls.ca, TALKSPACE_ENV: "development", PORT: String(port), DATA_DIR: `${dir}/data` };
    let server: RunningServer | null = await startServer(env);
    try {
      const ada = new Session(server.url);
      await ada.signUp(`ada-${crypto.randomUUID().slice(0, 8)}@example.org`);
      const keyBefore = (await (await ada.request("/api/v1/push/vapid-public-key")).json()).publicKey;

      const phone = await makeSubscriber();
      const oldTablet = await makeSubscriber();
      await subscribe(ada, phone, `${push.origin}/push/phone`);
      await subscribe(ada, oldTablet, `${push.origin}/push/old-tablet`);
      push.statusFor.set("/push/old-tablet", 410);

      // Remind at the start itself, so a meeting a few seconds ahead is reminded a few seconds from now.
      const prefs = await ada.json("PATCH", "/api/v1/me", { reminderMinutes: [0] });
      assert.equal(prefs.status, 200);
      assert.deepEqual((await prefs.json()).reminderMinutes, [0]);

      const first = await scheduleMeeting(ada, "Design review", 5_000);
      // Restart before the reminder is due: the queued work must survive in the sqlite KV.
      await server.stop();
      assert.equal(push.requests.length, 0, "the reminder fired before the restart; schedule it further ahead");
      server = await startServer(env);
      ada.base = server.url;

      await waitFor("the reminder at the phone", () => push.to("/push/phone").length > 0, 30_000);
      const [toPhone] = push.to("/push/phone");
      await waitFor("the reminder at the old tablet", () => push.to("/push/old-tablet").length > 0, 10_000);
      assert.ok(Date.now() >= first.at - 1000, "the reminder came long before it was due");

      const publicKey = (await (await ada.request("/api/v1/push/vapid-public-key")).json()).publicKey;
      assert.equal(publicKey, keyBefore, "the VAPID key changed across the restart");
      const claims = await verifyVapid(toPhone.headers.get("authorization"), publicKey, push.origin);
      assert.ok(claims.exp > Date.now() / 1000);
      assert.equal(toPhone.headers.get("content-encoding"), "aes128gcm");
      const payload = JSON.parse(await decryptPush(toPhone.body, phone));
      assert.equal(payload.title, "Design review");
      assert.match(payload.url, new RegExp(`^${server.url}/m/${first.meetingId}\\?pwd=`));
      assert.equal(typeof payload.body, "string");

      // The 410 removed the old tablet: only the phone is listed now.
      const devices = (await (await ada.request("/api/v1/push/subscriptions")).json()).devices;
      assert.deepEqual(devices.map((d: { id: string }) => d.id), [await hashToken(`${push.origin}/push/phone`)]);

      // A second meeting: its reminder arriving at the phone means the queue has moved past the
      // first one, so any duplicate of it would have arrived by now.
      const second = await scheduleMeeting(ada, "Retrospective", 3_000);
      await waitFor("the second reminder", () => push.to("/push/phone").length >= 2, 30_000);
      const secondPayload = JSON.parse(await decryptPush(push.to("/push/phone")[1].body, phone));
      assert.match(secondPayload.url, new RegExp(`/m/${second.meetingId}\\?pwd=`));
      assert.equal(push.to("/push/phone").length, 2, "the phone got a reminder twice");
      assert.equal(push.to("/push/old-tablet").length, 1, "the removed device was sent to again");
    } finally {
      await server?.stop();
      await push.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// ---------------------------------------------------------------------------------------------
// The subscription API in-process

Deno.test("outside development the API refuses push endpoints on loopback and private addresses", async () => {
  const t = await makeTestApp({ TALKSPACE_ENV: "production", PUBLIC_URL: "https://meet.example.org" });
  try {
    const user = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "$argon2id$unused" });
    const client = t.client();
    client.cookies.set("__Host-ts_session", (await createSession(t.kv, user.id, "full")).token);
    const sub = await makeSubscriber();
    for (
      const endpoint of [
        "https://127.0.0.1:9443/push",
        "https://[::1]/push",
        "https://192.168.1.20/push",
        "https://localhost/push",
      ]
    ) {
      const res = await client.sendJson("POST", "/api/v1/push/subscriptions", sub.json(endpoint));
      assert.equal(res.status, 422, `${endpoint} was accepted`);
      const problem = await res.json();
      assert.match(problem.errors.endpoint, /private or local/);
    }
    const insecure = await client.sendJson("POST", "/api/v1/push/subscriptions", sub.json("http://push.example.net/x"));
    assert.equal(insecure.status, 422);
    assert.match((await insecure.json()).errors.endpoint, /https/);
  } finally {
    t.close();
  }
});

Deno.test("subscription API: validation messages, 201, delete by endpoint 204/404, reminder minutes", async () => {
  const t = await makeTestApp({ TALKSPACE_ENV: "development" });
  try {
    const user = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "$argon2id$unused" });
    const client = t.client();
    client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
    const sub = await makeSubscriber();
    const body = sub.json("https://127.0.0.1:9443/push/abc");

    const anonymous = await t.client().sendJson("POST", "/api/v1/push/subscriptions", body);
    assert.equal(anonymous.status, 401);
    const bad = await client.sendJson("POST", "/api/v1/push/subscriptions", {
      ...body,
      keys: { p256dh: "x", auth: "y" },
    });
    assert.equal(bad.status, 422);
    const errors = (await bad.json()).errors;
    assert.match(errors["keys.p256dh"], /65 bytes/);
    assert.match(errors["keys.auth"], /16-byte/);

    const created = await client.sendJson("POST", "/api/v1/push/subscriptions", body);
    assert.equal(created.status, 201);
    const device = await created.json();
    assert.equal(device.id, await hashToken(body.endpoint));
    assert.ok(!JSON.stringify(device).includes(body.keys.auth), "the API echoed the device's secret");
    assert.equal((await client.sendJson("POST", "/api/v1/push/subscriptions", body)).status, 200);

    const otherUser = await createUser(t.kv, {
      name: "Bob",
      email: "bob@example.org",
      passwordHash: "$argon2id$unused",
    });
    const bob = t.client();
    bob.cookies.set("ts_session", (await createSession(t.kv, otherUser.id, "full")).token);
    assert.equal((await bob.sendJson("DELETE", "/api/v1/push/subscriptions", { endpoint: body.endpoint })).status, 404);
    assert.equal(
      (await client.sendJson("DELETE", "/api/v1/push/subscriptions", { endpoint: body.endpoint })).status,
      204,
    );
    assert.equal(
      (await client.sendJson("DELETE", "/api/v1/push/subscriptions", { endpoint: body.endpoint })).status,
      404,
    );

    const one = await client.sendJson("PATCH", "/api/v1/me", { reminderMinutes: 15 });
    assert.equal(one.status, 200);
    assert.deepEqual((await one.json()).reminderMinutes, [15]);
    const many = await client.sendJson("PATCH", "/api/v1/me", { reminderMinutes: [60, 10, 60] });
    assert.deepEqual((await many.json()).reminderMinutes, [10, 60]);
    for (
      const [value, message] of [
        [[1, 2, 3, 4, 5, 6], /at most 5/],
        [-1, /0/],
        [10081, /10080/],
        [2.5, /whole minutes/],
        ["10", /number of minutes/],
      ] as const
    ) {
      const res = await client.sendJson("PATCH", "/api/v1/me", { reminderMinutes: value });
      assert.equal(res.status, 422, `${JSON.stringify(value)} was accepted`);
      assert.match(JSON.stringify((await res.json()).errors), message);
    }
    const unknown = await client.sendJson("PATCH", "/api/v1/me", { name: "Eve" });
    assert.equal(unknown.status, 422);
    assert.match((await unknown.json()).errors._form, /Only reminderMinutes/);
    assert.deepEqual(
      (await (await client.sendJson("PATCH", "/api/v1/me", {})).json()).reminderMinutes,
      [10, 60],
      "an empty patch changed the reminders",
    );
  } finally {
    t.close();
  }
});

Deno.test("the notifications page saves reminder times from the form and lists and removes devices", async () => {
  const t = await makeTestApp({ TALKSPACE_ENV: "development" });
  try {
    const user = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "$argon2id$unused" });
    const client = t.client();
    client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
    const page = await client.get("/account/notifications");
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<!--ts-island:PushSettings:/, "the island is not on the page");
    assert.match(html, /value="10"/, "the default 10 minutes is not shown");

    const invalid = await client.postForm("/account/notifications/reminders", { minutes: "10, soon" });
    assert.equal(invalid.status, 422);
    assert.match(await invalid.text(), /“soon” is not a whole number of minutes/);
    const saved = await client.postForm("/account/notifications/reminders", { minutes: "60, 5" });
    assert.equal(saved.status, 303);
    assert.match(await (await client.get("/account/notifications?notice=reminders-saved")).text(), /value="5, 60"/);

    const sub = await makeSubscriber();
    await client.sendJson("POST", "/api/v1/push/subscriptions", sub.json("https://127.0.0.1:9443/push/x"), {
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0",
    });
    const list = await (await client.get("/account/notifications/devices")).json();
    assert.deepEqual(list.devices.map((d: { label: string }) => d.label), ["Firefox on Linux"]);
    const del = await client.request(`/account/notifications/devices/${list.devices[0].id}`, {
      method: "DELETE",
      headers: { origin: client.origin },
    });
    assert.equal(del.status, 204);
    assert.deepEqual((await (await client.get("/account/notifications/devices")).json()).devices, []);

    const sw = await client.get("/sw.js");
    assert.equal(sw.status, 200);
    assert.match(sw.headers.get("content-type") ?? "", /javascript/);
    assert.equal(sw.headers.get("service-worker-allowed"), "/");
    assert.match(await sw.text(), /addEventListener\("push"/);
  } finally {
    t.close();
  }
});

// ---------------------------------------------------------------------------------------------
// The browser side

const noBrowser = browserUnavailable();

Deno.test({
  name: "in Chromium the service worker registers from /sw.js and the reminder settings island comes alive",
  ignore: noBrowser !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startServer({ TALKSPACE_ENV: "development" });
    const browser = await launchBrowser();
    try {
      const session = new Session(server.url);
      await session.signUp(`ada-${crypto.randomUUID().slice(0, 8)}@example.org`);
      const context = await browser.newContext();
      await context.grantPermissions(["notifications"], { origin: server.url });
      await context.addCookies(
        session.cookie.split("; ").map((pair) => {
          const [name, value] = pair.split("=");
          return { name, value, url: server.url };
        }),
      );
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(String(e)));
      page.on("console", (m) => {
        // Chromium's own note when a headless (incognito) context tries to subscribe; expected here.
        if (m.type() === "error" && !/does not support the Push API in incognito/.test(m.text())) {
          problems.push(m.text());
        }
      });
      await page.goto(`${server.url}/account/notifications`);

      const scriptURL = await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        return reg.active?.scriptURL ?? null;
      });
      assert.equal(scriptURL, `${server.url}/sw.js`);

      // The island replaced its server-rendered "checking" text with a real state.
      const status = page.locator(".push-status");
      await status.filter({ hasNotText: "Checking" }).waitFor();
      const text = (await status.textContent()) ?? "";
      const pushManager = await page.evaluate(() => "PushManager" in globalThis);
      if (!pushManager) {
        assert.equal(text, UNSUPPORTED_MESSAGE);
      } else {
        assert.equal(text, "This device does not get meeting reminders.");
        // Subscribing needs the browser's push service (Google's, for Chromium), which this offline
        // test cannot reach: the island must then say push is unavailable, not fail silently.
        await page.click(".push-subscribe");
        const outcome = page.locator(".push-settings .notice.error, .push-status:has-text('This device gets')");
        await outcome.first().waitFor();
        const shown = (await outcome.first().textContent()) ?? "";
        if (!shown.startsWith("This device gets")) assert.ok(shown.startsWith(UNSUPPORTED_MESSAGE), shown);
      }
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
    }
  },
});
