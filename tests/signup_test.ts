// Sign-up and password recovery never tell who has an account, sign-ups are throttled (they send
// mail to addresses of the sender's choosing), and every outstanding reset link dies when the
// password changes (issue 12). In-process against the real app and KV; one test delivers through a
// real SMTP server on loopback with the production queue wiring.

import assert from "node:assert/strict";
import PostalMime from "postal-mime";
import { SMTPServer } from "smtp-server";
import { makeTestApp } from "./support/app.ts";
import type { TestApp, TestClient } from "./support/app.ts";
import { loadConfig } from "../lib/common/config.ts";
import { createMailer } from "../lib/email/mod.ts";
import { loadSigningKey } from "../lib/common/server_secret.ts";
import { createWebApp } from "../routes/mod.ts";
import { startBackgroundWork } from "../lib/reminders/background.ts";
import * as schedule from "../lib/scheduling/occurrences.ts";
import { accountMailHandler } from "../lib/accounts/emails.ts";
import { TestClient as Client } from "./support/app.ts";
import { getUserByEmail } from "../lib/accounts/users.ts";
import { SIGNUP_ADDRESS_RULE, SIGNUP_SITE_RULE } from "../routes/signup.tsx";

const PASSWORD = "correct horse battery";

/** Removes what differs between any two answers for reasons unrelated to the account: CSRF tokens and nonces. */
function normalized(html: string): string {
  return html.replace(/(name="_csrf" value=")[^"]+/g, "$1…").replace(/nonce="[^"]+"/g, 'nonce="…"')
    .replace(/(content=")[A-Za-z0-9_-]{20,}(")/g, "$1…$2");
}

/** Status, Location, cookie names and the followed page of one form post. */
async function answer(c: TestClient, path: string, fields: Record<string, string>, headers: HeadersInit = {}) {
  const res = await c.postForm(path, fields, headers);
  const body = await res.text();
  const location = res.headers.get("location");
  const cookies = res.headers.getSetCookie().map((l) => l.split("=")[0]).sort();
  const page = location ? normalized(await (await c.get(location)).text()) : "";
  return { status: res.status, location, body: normalized(body), cookies, page };
}

async function signedUpAndConfirmed(t: TestApp, email: string): Promise<void> {
  const res = await t.client().postForm("/signup", { name: "Ada", email, password: PASSWORD });
  await res.body?.cancel();
  assert.equal(res.status, 303);
  await t.mailer.arrival(email, /^Confirm your email/);
}

Deno.test("sign-up: an address with an account gets exactly the answer a new address gets; its owner is mailed", async () => {
  const t = await makeTestApp();
  try {
    await signedUpAndConfirmed(t, "ada@example.org");
    const fresh = await answer(t.client(), "/signup", { name: "Bob", email: "bob@example.org", password: PASSWORD });
    const taken = await answer(t.client(), "/signup", { name: "Eve", email: "ADA@example.org", password: PASSWORD });
    assert.equal(fresh.status, 303);
    assert.deepEqual(taken, fresh, "same status, location, cookies, body and follow-up page");
    assert.match(fresh.page, /Check your email to confirm your address/);
    assert.doesNotMatch(fresh.page, /already exists/);

    const notice = await t.mailer.arrival("ada@example.org", /^Someone tried to create/);
    assert.match(notice.text, /You already have an account with this address/);
    const reset = t.mailer.link("ada@example.org", "/reset/");
    const form = await t.client().get(new URL(reset).pathname);
    assert.equal(form.status, 200, "the notice's reset link works");
    await form.body?.cancel();
    await t.mailer.arrival("bob@example.org", /^Confirm your email/);
    assert.equal((await getUserByEmail(t.kv, "ada@example.org"))?.name, "Ada", "the account is untouched");
  } finally {
    t.close();
  }
});

Deno.test("reset: known and unknown addresses get the same status, location and page", async () => {
  const t = await makeTestApp();
  try {
    await signedUpAndConfirmed(t, "ada@example.org");
    const known = await answer(t.client(), "/reset", { email: "ada@example.org" });
    const unknown = await answer(t.client(), "/reset", { email: "nobody@example.org" });
    assert.equal(known.status, 303);
    assert.deepEqual(unknown, known);
    await t.mailer.arrival("ada@example.org", /^Reset your Talkspace password$/);
  } finally {
    t.close();
  }
});

Deno.test("sign-up: 5 per client address per hour, then 429 with Retry-After and a message; no mail beyond", async () => {
  const t = await makeTestApp({ TRUST_PROXY: "1" });
  try {
    const ip = { "x-forwarded-for": "198.51.100.7" };
    for (let i = 0; i < SIGNUP_ADDRESS_RULE.max; i++) {
      const res = await t.client().postForm(
        "/signup",
        { name: "Spam", email: `v${i}@example.org`, password: PASSWORD },
        ip,
      );
      await res.body?.cancel();
      assert.equal(res.status, 303, `sign-up ${i + 1}`);
    }
    const blocked = await t.client().postForm(
      "/signup",
      { name: "Spam", email: "v9@example.org", password: PASSWORD },
      ip,
    );
    assert.equal(blocked.status, 429);
    const retry = Number(blocked.headers.get("retry-after"));
    assert.ok(retry > 0 && retry <= 3600, `Retry-After ${retry}`);
    assert.match(await blocked.text(), /Too many accounts were created from here recently/);
    assert.equal(await getUserByEmail(t.kv, "v9@example.org"), null, "nothing was created");
    // Also an address in use counts (its owner would be mailed).
    const other = await t.client().postForm(
      "/signup",
      { name: "Spam", email: "v0@example.org", password: PASSWORD },
      ip,
    );
    assert.equal(other.status, 429);
    await other.body?.cancel();
    const another = await t.client().postForm("/signup", { name: "Ok", email: "ok@example.org", password: PASSWORD }, {
      "x-forwarded-for": "198.51.100.8",
    });
    assert.equal(another.status, 303, "other addresses are not affected");
    await another.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("sign-up: a site-wide cap per minute across addresses", async () => {
  const t = await makeTestApp({ TRUST_PROXY: "1" });
  try {
    const statuses = [];
    for (let i = 0; i <= SIGNUP_SITE_RULE.max; i++) {
      const res = await t.client().postForm(
        "/signup",
        { name: "Spam", email: `s${i}@example.org`, password: PASSWORD },
        {
          "x-forwarded-for": `203.0.113.${i}`,
        },
      );
      await res.body?.cancel();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [...Array(SIGNUP_SITE_RULE.max).fill(303), 429]);
  } finally {
    t.close();
  }
});

Deno.test("25 parallel sign-ups from one address create and mail at most 5", async () => {
  const t = await makeTestApp({ TRUST_PROXY: "1" });
  try {
    const results = await Promise.all(Array.from({ length: 25 }, async (_, i) => {
      const res = await t.client().postForm(
        "/signup",
        { name: "Spam", email: `p${i}@example.org`, password: PASSWORD },
        {
          "x-forwarded-for": "198.51.100.99",
        },
      );
      await res.body?.cancel();
      return res.status;
    }));
    assert.equal(results.filter((s) => s === 303).length, SIGNUP_ADDRESS_RULE.max);
    assert.equal(results.filter((s) => s === 429).length, 25 - SIGNUP_ADDRESS_RULE.max);
    let tokens = 0;
    for await (const _ of t.kv.list({ prefix: ["one_time_tokens", "verify_email"] })) tokens++;
    assert.equal(tokens, SIGNUP_ADDRESS_RULE.max, "one confirmation link (and email) per accepted sign-up");
  } finally {
    t.close();
  }
});

async function requestResetLink(t: TestApp, email: string): Promise<string> {
  const before = t.mailer.sent.length;
  const res = await t.client().postForm("/reset", { email });
  await res.body?.cancel();
  const mail = await poll(() => t.mailer.sent.slice(before).find((m) => m.to === email && /^Reset/.test(m.subject)));
  return new URL(/https?:\/\/\S+\/reset\/\S+/.exec(mail.text)![0]).pathname;
}

async function poll<T>(find: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const { poll } = await import("./support/wait.ts");
  return await poll("the email", find, 10_000, 5);
}

Deno.test('reset links: using the newer link ends the older one ("This link is no longer valid")', async () => {
  const t = await makeTestApp();
  try {
    await signedUpAndConfirmed(t, "ada@example.org");
    const older = await requestResetLink(t, "ada@example.org");
    const newer = await requestResetLink(t, "ada@example.org");
    assert.notEqual(older, newer);
    const used = await t.client().postForm(newer, { password: "the newer passphrase" });
    assert.equal(used.status, 303);
    const stale = await t.client().postForm(older, { password: "the older passphrase" });
    assert.equal(stale.status, 410);
    assert.match(await stale.text(), /This link is no longer valid/);
    const page = await t.client().get(older);
    assert.equal(page.status, 410, "the form behind the old link is gone too");
    await page.body?.cancel();
    const signin = await t.client().postForm("/signin", { email: "ada@example.org", password: "the newer passphrase" });
    assert.equal(signin.status, 303, "the newer link's password stands");
    await signin.body?.cancel();
  } finally {
    t.close();
  }
});

Deno.test("reset links: changing the password on the account page ends every outstanding link and other sessions", async () => {
  const t = await makeTestApp();
  try {
    await signedUpAndConfirmed(t, "ada@example.org");
    const link = await requestResetLink(t, "ada@example.org");
    const laptop = t.client();
    const phone = t.client();
    for (const c of [laptop, phone]) {
      const res = await c.postForm("/signin", { email: "ada@example.org", password: PASSWORD });
      assert.equal(res.status, 303);
    }
    const changed = await laptop.postForm("/account/password", { current: PASSWORD, password: "changed on the page" });
    assert.equal(changed.status, 303);
    const stale = await t.client().postForm(link, { password: "an attacker's passphrase" });
    assert.equal(stale.status, 410);
    assert.match(await stale.text(), /This link is no longer valid/);
    assert.equal((await laptop.get("/account")).status, 200, "the session that changed it stays");
    assert.equal((await phone.get("/account")).status, 303, "other sessions end");
  } finally {
    t.close();
  }
});

/** A real SMTP server on loopback that keeps each message's raw source. */
async function startSmtp() {
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", () => {
        received.push(chunks.map((c) => new TextDecoder().decode(c)).join(""));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

Deno.test("the owner's notice arrives over real SMTP through the KV queue, wired as main.ts wires it", async () => {
  const smtp = await startSmtp();
  const config = loadConfig({
    TALKSPACE_ENV: "test",
    PUBLIC_URL: "http://localhost:8000",
    KV_PATH: ":memory:",
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: "talkspace@example.org",
  });
  const kv = await Deno.openKv(":memory:");
  const mailer = createMailer(config, kv);
  const app = createWebApp({ kv, config, mailer, signingKey: await loadSigningKey(kv, ""), gateway: null });
  const background = startBackgroundWork({ kv, config, mailer, schedule }, [accountMailHandler(mailer)]);
  try {
    const c = new Client(app, new URL(config.publicUrl).origin);
    const first = await c.postForm("/signup", { name: "Ada", email: "ada@example.org", password: PASSWORD });
    await first.body?.cancel();
    const again = await new Client(app, c.origin).postForm("/signup", {
      name: "Eve",
      email: "ada@example.org",
      password: PASSWORD,
    });
    await again.body?.cancel();
    assert.equal(again.status, first.status);
    const subjects = await poll(async () => {
      const parsed = await Promise.all(smtp.received.map((raw) => PostalMime.parse(raw)));
      const s = parsed.map((p) => p.subject ?? "");
      return s.length >= 2 ? s : undefined;
    });
    assert.ok(subjects.some((s) => /^Confirm your email/.test(s)), subjects.join(" | "));
    assert.ok(subjects.some((s) => /^Someone tried to create a Talkspace account/.test(s)), subjects.join(" | "));
  } finally {
    kv.close();
    await background.stopped.catch(() => {});
    await smtp.close();
  }
});
