// Unit tests for the development outbox: ordering, the 200-message cap, KV's value limit, MIME source.

import PostalMime from "postal-mime";
import { loadConfig } from "../config.ts";
import { setQuiet } from "../log.ts";
import { keys } from "../db/keys.ts";
import { createMailer } from "./mod.ts";
import { addToOutbox, clearOutbox, HTML_TRUNCATED_NOTE, listOutbox, OUTBOX_LIMIT } from "./outbox.ts";

setQuiet(true);

// Local assertions: node:assert needs @types/node for type checking, which is not installed.
function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}
function equal(actual: unknown, expected: unknown) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`expected ${e}, got ${a}`);
}

const config = loadConfig({ TALKSPACE_ENV: "development", PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });

Deno.test("outbox lists newest first, even within one millisecond", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (let i = 0; i < 5; i++) {
      await addToOutbox(kv, { from: "a@x.org", to: `p${i}@x.org`, subject: `S${i}`, text: "t", html: "<p>h</p>" });
    }
    const listed = await listOutbox(kv);
    equal(listed.map((m) => m.subject), ["S4", "S3", "S2", "S1", "S0"]);
    equal(await clearOutbox(kv), 5);
    equal(await listOutbox(kv), []);
  } finally {
    kv.close();
  }
});

Deno.test("outbox keeps only the newest 200 messages", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (let i = 0; i < OUTBOX_LIMIT + 5; i++) {
      await addToOutbox(kv, { from: "a@x.org", to: "p@x.org", subject: `S${i}`, text: "t", html: "" });
    }
    let stored = 0;
    for await (const _ of kv.list({ prefix: keys.outbox() })) stored++;
    equal(stored, OUTBOX_LIMIT);
    const listed = await listOutbox(kv);
    equal(listed.length, OUTBOX_LIMIT);
    equal(listed[0].subject, `S${OUTBOX_LIMIT + 4}`);
    equal(listed.at(-1)!.subject, "S5");
  } finally {
    kv.close();
  }
});

Deno.test("an oversized message is stored with raw dropped and the HTML truncated with a note", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const html = "<p>" + "ü".repeat(100_000) + "</p>"; // two-byte characters: ~200 KB serialized
    const stored = await addToOutbox(kv, {
      from: "a@x.org",
      to: "p@x.org",
      subject: "Big",
      text: "short text",
      html,
      raw: "x".repeat(50_000),
    });
    assert(stored.truncated);
    equal(stored.raw, undefined);
    equal(stored.text, "short text");
    assert(stored.html.endsWith(HTML_TRUNCATED_NOTE));
    assert(stored.html.length < 32_000);
    equal((await listOutbox(kv))[0].id, stored.id); // the KV write succeeded
  } finally {
    kv.close();
  }
});

Deno.test("createMailer without SMTP_URL stores messages with their MIME source", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const mailer = createMailer(config, kv);
    await mailer.send({
      to: "person@example.org",
      subject: "Confirm your email",
      text: "Open http://localhost:8000/verify?t=abc",
      html: '<p><a href="http://localhost:8000/verify?t=abc">Confirm</a></p>',
    });
    const [m] = await listOutbox(kv);
    equal(m.to, "person@example.org");
    equal(m.from, config.mailFrom);
    assert(/^\d{4}-\d\d-\d\dT/.test(m.sentAt));
    assert(m.raw, "raw MIME source is stored");
    const parsed = await PostalMime.parse(m.raw);
    equal(parsed.subject, "Confirm your email");
    equal(parsed.from?.address, "no-reply@localhost");
    equal(parsed.to?.[0].address, "person@example.org");
    equal(parsed.text?.trim(), "Open http://localhost:8000/verify?t=abc");
    assert(parsed.html?.includes("Confirm</a>"));
  } finally {
    kv.close();
  }
});
