// Email delivery: a real SMTP listener receives what createMailer sends; the development outbox and its pages.

import assert from "node:assert/strict";
import { SMTPServer } from "smtp-server";
import PostalMime from "postal-mime";
import { makeTestApp, TestClient } from "./support/app.ts";
import { loadConfig } from "../lib/common/config.ts";
import type { Config } from "../lib/common/config.ts";
import { createWebApp } from "../routes/mod.ts";
import { loadSigningKey } from "../lib/common/server_secret.ts";
import { setQuiet } from "../lib/common/log.ts";
import { createMailer } from "../lib/email/mod.ts";
import { parseSmtpUrl } from "../lib/email/smtp.ts";
import { listOutbox } from "../lib/email/outbox.ts";

interface Received {
  raw: string;
  envelopeFrom: string;
  envelopeTo: string[];
  user?: string;
}

/** A real SMTP server on 127.0.0.1 (free port) that keeps every message's raw source. */
async function startSmtp(opts: { rejectRecipient?: string } = {}) {
  const received: Received[] = [];
  const logins: { username: string; password: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true, // loopback test server without TLS
    disabledCommands: ["STARTTLS"],
    logger: false,
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username ?? "", password: auth.password ?? "" });
      callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      if (address.address === opts.rejectRecipient) {
        const err = Object.assign(new Error("Mailbox unavailable"), { responseCode: 550 });
        return callback(err);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      stream.on("end", () => {
        const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          all.set(c, at);
          at += c.length;
        }
        received.push({
          raw: new TextDecoder().decode(all),
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    received,
    logins,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function smtpConfig(smtpUrl: string): Config {
  return loadConfig({
    TALKSPACE_ENV: "production",
    PUBLIC_URL: "https://meet.example.org",
    KV_PATH: ":memory:",
    SMTP_URL: smtpUrl,
    MAIL_FROM: "Talkspace <no-reply@meet.example.org>",
  });
}

/** Runs `fn` with console output captured (and info lines switched on); returns everything printed. */
async function captureLogs(fn: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const saved = { log: console.log, warn: console.warn, error: console.error };
  const keep = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  console.log = keep;
  console.warn = keep;
  console.error = keep;
  setQuiet(false);
  try {
    await fn();
  } finally {
    Object.assign(console, saved);
    setQuiet(true);
  }
  return lines.join("\n");
}

Deno.test("SMTP: createMailer delivers text + HTML with From = MAIL_FROM to a real SMTP server", async () => {
  const smtp = await startSmtp();
  const kv = await Deno.openKv(":memory:");
  try {
    const config = smtpConfig(`smtp://mailer%40meet.example.org:s3cret-pass@127.0.0.1:${smtp.port}`);
    const logs = await captureLogs(async () => {
      const mailer = createMailer(config, kv);
      await mailer.send({
        to: "person@example.org",
        subject: "Reset your Talkspace password — ünïcode",
        text: "Open https://meet.example.org/reset/abc to choose a new password.\n",
        html: '<p>Open <a href="https://meet.example.org/reset/abc">this link</a>.</p>',
      });
    });
    assert.equal(smtp.received.length, 1);
    const got = smtp.received[0];
    assert.deepEqual(
      smtp.logins,
      [{ username: "mailer@meet.example.org", password: "s3cret-pass" }],
      "credentials from the URL",
    );
    assert.equal(got.envelopeFrom, "no-reply@meet.example.org");
    assert.deepEqual(got.envelopeTo, ["person@example.org"]);
    const parsed = await PostalMime.parse(got.raw);
    assert.deepEqual(parsed.from, { address: "no-reply@meet.example.org", name: "Talkspace" });
    assert.deepEqual(parsed.to?.map((a) => a.address), ["person@example.org"]);
    assert.equal(parsed.subject, "Reset your Talkspace password — ünïcode");
    assert.equal(parsed.text?.trim(), "Open https://meet.example.org/reset/abc to choose a new password.");
    assert.equal(parsed.html?.trim(), '<p>Open <a href="https://meet.example.org/reset/abc">this link</a>.</p>');
    assert.ok(logs.includes("mail sent"));
    assert.ok(!logs.includes("s3cret-pass"), "the SMTP password is never logged");
    assert.ok(!logs.includes("reset/abc"), "the body is not logged outside development");
    assert.deepEqual(await listOutbox(kv), [], "nothing goes to the outbox when SMTP is configured");
  } finally {
    kv.close();
    await smtp.close();
  }
});

Deno.test("SMTP: a refused message throws to the caller and the log names the reason, not the body", async () => {
  const smtp = await startSmtp({ rejectRecipient: "gone@example.org" });
  const kv = await Deno.openKv(":memory:");
  try {
    const mailer = createMailer(smtpConfig(`smtp://u:hunter2-secret@127.0.0.1:${smtp.port}`), kv);
    let thrown: unknown = null;
    const logs = await captureLogs(async () => {
      try {
        await mailer.send({ to: "gone@example.org", subject: "Hello", text: "secret-link-123", html: "<p>x</p>" });
      } catch (err) {
        thrown = err;
      }
    });
    assert.ok(thrown instanceof Error, "send throws");
    assert.ok(logs.includes("mail delivery failed"));
    assert.ok(logs.includes("gone@example.org"));
    assert.ok(!logs.includes("secret-link-123"), "no body in the log");
    assert.ok(!logs.includes("hunter2-secret"), "no password in the log");
    assert.equal(smtp.received.length, 0);
  } finally {
    kv.close();
    await smtp.close();
  }
});

Deno.test("SMTP_URL is validated without echoing it", () => {
  assert.deepEqual(parseSmtpUrl("smtps://a:b@mail.example.org"), {
    host: "mail.example.org",
    port: 465,
    secure: true,
    auth: { user: "a", pass: "b" },
  });
  assert.deepEqual(parseSmtpUrl("smtp://127.0.0.1:2525"), { host: "127.0.0.1", port: 2525, secure: false });
  for (const bad of ["http://user:topsecret@mail.example.org", "not a url topsecret"]) {
    let message = "";
    try {
      parseSmtpUrl(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    assert.ok(message.includes("SMTP_URL"));
    assert.ok(!message.includes("topsecret"));
  }
});

Deno.test("outbox mailer logs the text body in development only, and warns once elsewhere", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const msg = {
      to: "p@example.org",
      subject: "Confirm",
      text: "Link: http://localhost:8000/verify/tok-123",
      html: "",
    };
    const dev = createMailer(loadConfig({ TALKSPACE_ENV: "development", KV_PATH: ":memory:" }), kv);
    const devLogs = await captureLogs(() => dev.send(msg));
    assert.ok(devLogs.includes("http://localhost:8000/verify/tok-123"));

    const prod = createMailer(loadConfig({ TALKSPACE_ENV: "production", KV_PATH: ":memory:" }), kv);
    const prodLogs = await captureLogs(async () => {
      await prod.send(msg);
      await prod.send(msg);
    });
    assert.ok(!prodLogs.includes("tok-123"), "no body outside development");
    assert.ok(prodLogs.includes("p@example.org"));
    assert.ok(prodLogs.includes("Confirm"));
    assert.equal(prodLogs.split("NOT being delivered").length - 1, 1, "warned exactly once");
    assert.equal((await listOutbox(kv)).length, 3);
  } finally {
    kv.close();
  }
});

/** The app as main.ts builds it (real outbox mailer), over an in-memory KV. */
async function makeOutboxApp(talkspaceEnv: string) {
  const config = loadConfig({ TALKSPACE_ENV: talkspaceEnv, PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });
  const kv = await Deno.openKv(":memory:");
  const mailer = createMailer(config, kv);
  const app = createWebApp({ kv, config, mailer, signingKey: await loadSigningKey(kv, ""), gateway: null });
  return { kv, mailer, client: () => new TestClient(app, new URL(config.publicUrl).origin) };
}

Deno.test("/dev/outbox.json lists messages newest first in development", async () => {
  const t = await makeOutboxApp("development");
  try {
    await t.mailer.send({ to: "first@example.org", subject: "First", text: "one", html: "<p>one</p>" });
    await t.mailer.send({ to: "second@example.org", subject: "Second", text: "two", html: "<p>two</p>" });
    const res = await t.client().get("/dev/outbox.json");
    assert.equal(res.status, 200);
    assert.ok((res.headers.get("content-type") ?? "").includes("application/json"));
    const body = await res.json() as Record<string, unknown>[];
    assert.equal(body.length, 2);
    assert.deepEqual(body.map((m) => Object.keys(m).sort()), [
      ["html", "raw", "sentAt", "subject", "text", "to"],
      ["html", "raw", "sentAt", "subject", "text", "to"],
    ]);
    // raw is the MIME source a mail server would receive: headers, then the text and HTML parts.
    const raw = String(body[0].raw);
    assert.match(raw, /^Subject: Second\r?$/m);
    assert.match(raw, /Content-Type: text\/plain/);
    assert.match(raw, /Content-Type: text\/html/);
    assert.deepEqual(body.map((m) => [m.to, m.subject, m.text, m.html]), [
      ["second@example.org", "Second", "two", "<p>two</p>"],
      ["first@example.org", "First", "one", "<p>one</p>"],
    ]);
    assert.ok(!Number.isNaN(Date.parse(String(body[0].sentAt))));
  } finally {
    t.kv.close();
  }
});

Deno.test("/dev/outbox shows clickable links and the HTML part in a sandboxed frame, never as live markup", async () => {
  const t = await makeOutboxApp("development");
  try {
    await t.mailer.send({
      to: "person@example.org",
      subject: "Confirm <your> email",
      text: "Confirm here: http://localhost:8000/verify/abc123.\nThanks",
      html: "<p>Hi</p><script>alert('owned')</script><img src=x onerror=alert(1)>",
    });
    const client = t.client();
    const res = await client.get("/dev/outbox");
    assert.equal(res.status, 200);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.ok(csp.includes("script-src 'nonce-"));
    const html = await res.text();
    assert.ok(html.includes("person@example.org"));
    assert.ok(html.includes("<h2>Confirm &lt;your> email</h2>"));
    assert.ok(html.includes('<a href="http://localhost:8000/verify/abc123">http://localhost:8000/verify/abc123</a>.'));
    // A bare `sandbox` attribute: no scripts, no same-origin access, no forms, no popups.
    assert.ok(
      html.includes(
        `<iframe class="outbox-html" sandbox srcdoc="&lt;p>Hi&lt;/p>&lt;script>alert('owned')&lt;/script>&lt;img src=x onerror=alert(1)>" title=`,
      ),
    );
    assert.ok(!html.includes("<script>alert"), "the mail's script is not live markup");
    assert.ok(!html.includes("<img src=x"), "the mail's tags are escaped into the srcdoc attribute");

    // The MIME source is downloadable.
    const [m] = await listOutbox(t.kv);
    const eml = await client.get(`/dev/outbox/${m.id}.eml`);
    assert.equal(eml.status, 200);
    assert.equal(eml.headers.get("content-type"), "message/rfc822");
    const parsed = await PostalMime.parse(await eml.text());
    assert.equal(parsed.subject, "Confirm <your> email");

    // Emptying the outbox.
    const cleared = await client.postForm("/dev/outbox/clear", {});
    assert.equal(cleared.status, 303);
    assert.deepEqual(await listOutbox(t.kv), []);
  } finally {
    t.kv.close();
  }
});

for (const env of ["production", "test"]) {
  Deno.test(`/dev/outbox and /dev/outbox.json are 404 when TALKSPACE_ENV=${env}`, async () => {
    const t = await makeTestApp({ TALKSPACE_ENV: env });
    try {
      const client = t.client();
      for (const path of ["/dev/outbox", "/dev/outbox.json", "/dev/outbox/01HZZZZZZZZZZZZZZZZZZZZZZZ.eml"]) {
        const res = await client.get(path);
        await res.body?.cancel();
        assert.equal(res.status, 404, path);
      }
      const res = await client.postForm("/dev/outbox/clear", {});
      await res.body?.cancel();
      assert.equal(res.status, 404, "POST /dev/outbox/clear");
    } finally {
      t.close();
    }
  });
}
