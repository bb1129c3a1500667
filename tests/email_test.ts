// Email delivery: a real SMTP listener receives what createMailer sends; the development outbox and its pages.

import { SMTPServer } from "smtp-server";
import PostalMime from "postal-mime";
import { makeTestApp, TestClient } from "./support/app.ts";
import { loadConfig } from "../lib/config.ts";
import type { Config } from "../lib/config.ts";
import { createApp } from "../lib/http/app.tsx";
import { loadSigningKey } from "../lib/secret.ts";
import { setQuiet } from "../lib/log.ts";
import { createMailer } from "../lib/email/mod.ts";
import { parseSmtpUrl } from "../lib/email/smtp.ts";
import { listOutbox } from "../lib/email/outbox.ts";

// Local assertions: node:assert needs @types/node for type checking, which is not installed.
function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}
function equal(actual: unknown, expected: unknown, message = "") {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${message ? message + ": " : ""}expected ${e}, got ${a}`);
}
function includes(haystack: string, needle: string, message = "") {
  if (!haystack.includes(needle)) {
    throw new Error(`${message ? message + ": " : ""}expected to find ${JSON.stringify(needle)}`);
  }
}

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
    equal(smtp.received.length, 1);
    const got = smtp.received[0];
    equal(smtp.logins, [{ username: "mailer@meet.example.org", password: "s3cret-pass" }], "credentials from the URL");
    equal(got.envelopeFrom, "no-reply@meet.example.org");
    equal(got.envelopeTo, ["person@example.org"]);
    const parsed = await PostalMime.parse(got.raw);
    equal(parsed.from, { address: "no-reply@meet.example.org", name: "Talkspace" });
    equal(parsed.to?.map((a) => a.address), ["person@example.org"]);
    equal(parsed.subject, "Reset your Talkspace password — ünïcode");
    equal(parsed.text?.trim(), "Open https://meet.example.org/reset/abc to choose a new password.");
    equal(parsed.html?.trim(), '<p>Open <a href="https://meet.example.org/reset/abc">this link</a>.</p>');
    includes(logs, "mail sent");
    assert(!logs.includes("s3cret-pass"), "the SMTP password is never logged");
    assert(!logs.includes("reset/abc"), "the body is not logged outside development");
    equal(await listOutbox(kv), [], "nothing goes to the outbox when SMTP is configured");
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
    assert(thrown instanceof Error, "send throws");
    includes(logs, "mail delivery failed");
    includes(logs, "gone@example.org");
    assert(!logs.includes("secret-link-123"), "no body in the log");
    assert(!logs.includes("hunter2-secret"), "no password in the log");
    equal(smtp.received.length, 0);
  } finally {
    kv.close();
    await smtp.close();
  }
});

Deno.test("SMTP_URL is validated without echoing it", () => {
  equal(parseSmtpUrl("smtps://a:b@mail.example.org"), {
    host: "mail.example.org",
    port: 465,
    secure: true,
    auth: { user: "a", pass: "b" },
  });
  equal(parseSmtpUrl("smtp://127.0.0.1:2525"), { host: "127.0.0.1", port: 2525, secure: false });
  for (const bad of ["http://user:topsecret@mail.example.org", "not a url topsecret"]) {
    let message = "";
    try {
      parseSmtpUrl(bad);
    } catch (err) {
      message = (err as Error).message;
    }
    includes(message, "SMTP_URL");
    assert(!message.includes("topsecret"));
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
    includes(devLogs, "http://localhost:8000/verify/tok-123");

    const prod = createMailer(loadConfig({ TALKSPACE_ENV: "production", KV_PATH: ":memory:" }), kv);
    const prodLogs = await captureLogs(async () => {
      await prod.send(msg);
      await prod.send(msg);
    });
    assert(!prodLogs.includes("tok-123"), "no body outside development");
    includes(prodLogs, "p@example.org");
    includes(prodLogs, "Confirm");
    equal(prodLogs.split("NOT being delivered").length - 1, 1, "warned exactly once");
    equal((await listOutbox(kv)).length, 3);
  } finally {
    kv.close();
  }
});

/** The app as main.ts builds it (real outbox mailer), over an in-memory KV. */
async function makeOutboxApp(talkspaceEnv: string) {
  const config = loadConfig({ TALKSPACE_ENV: talkspaceEnv, PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });
  const kv = await Deno.openKv(":memory:");
  const mailer = createMailer(config, kv);
  const app = createApp({ kv, config, mailer, signingKey: await loadSigningKey(kv, ""), gateway: null });
  return { kv, mailer, client: () => new TestClient(app, new URL(config.publicUrl).origin) };
}

Deno.test("/dev/outbox.json lists messages newest first in development", async () => {
  const t = await makeOutboxApp("development");
  try {
    await t.mailer.send({ to: "first@example.org", subject: "First", text: "one", html: "<p>one</p>" });
    await t.mailer.send({ to: "second@example.org", subject: "Second", text: "two", html: "<p>two</p>" });
    const res = await t.client().get("/dev/outbox.json");
    equal(res.status, 200);
    includes(res.headers.get("content-type") ?? "", "application/json");
    const body = await res.json() as Record<string, unknown>[];
    equal(body.length, 2);
    equal(body.map((m) => Object.keys(m).sort()), [
      ["html", "sentAt", "subject", "text", "to"],
      ["html", "sentAt", "subject", "text", "to"],
    ]);
    equal(body.map((m) => [m.to, m.subject, m.text, m.html]), [
      ["second@example.org", "Second", "two", "<p>two</p>"],
      ["first@example.org", "First", "one", "<p>one</p>"],
    ]);
    assert(!Number.isNaN(Date.parse(String(body[0].sentAt))));
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
    equal(res.status, 200);
    const csp = res.headers.get("content-security-policy") ?? "";
    includes(csp, "script-src 'nonce-");
    const html = await res.text();
    includes(html, "person@example.org");
    includes(html, "<h2>Confirm &lt;your> email</h2>");
    includes(html, '<a href="http://localhost:8000/verify/abc123">http://localhost:8000/verify/abc123</a>.');
    // A bare `sandbox` attribute: no scripts, no same-origin access, no forms, no popups.
    includes(
      html,
      `<iframe class="outbox-html" sandbox srcdoc="&lt;p>Hi&lt;/p>&lt;script>alert('owned')&lt;/script>&lt;img src=x onerror=alert(1)>" title=`,
    );
    assert(!html.includes("<script>alert"), "the mail's script is not live markup");
    assert(!html.includes("<img src=x"), "the mail's tags are escaped into the srcdoc attribute");

    // The MIME source is downloadable.
    const [m] = await listOutbox(t.kv);
    const eml = await client.get(`/dev/outbox/${m.id}.eml`);
    equal(eml.status, 200);
    equal(eml.headers.get("content-type"), "message/rfc822");
    const parsed = await PostalMime.parse(await eml.text());
    equal(parsed.subject, "Confirm <your> email");

    // Emptying the outbox.
    const cleared = await client.postForm("/dev/outbox/clear", {});
    equal(cleared.status, 303);
    equal(await listOutbox(t.kv), []);
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
        equal(res.status, 404, path);
      }
      const res = await client.postForm("/dev/outbox/clear", {});
      await res.body?.cancel();
      equal(res.status, 404, "POST /dev/outbox/clear");
    } finally {
      t.close();
    }
  });
}
