// Unit tests for the development outbox: ordering, the 200-message cap, KV's value limit, MIME source.

import assert from "node:assert/strict";
import PostalMime from "postal-mime";
import { loadConfig } from "../common/config.ts";
import { setQuiet } from "../common/log.ts";
import { emailKeys as keys } from "./keys.ts";
import { createMailer } from "./mod.ts";
import { addToOutbox, clearOutbox, HTML_TRUNCATED_NOTE, listOutbox, OUTBOX_LIMIT } from "./outbox.ts";

setQuiet(true);

const config = loadConfig({ TALKSPACE_ENV: "development", PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });

Deno.test("outbox lists newest first, even within one millisecond", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (let i = 0; i < 5; i++) {
      await addToOutbox(kv, { from: "a@x.org", to: `p${i}@x.org`, subject: `S${i}`, text: "t", html: "<p>h</p>" });
    }
    const listed = await listOutbox(kv);
    assert.deepEqual(listed.map((m) => m.subject), ["S4", "S3", "S2", "S1", "S0"]);
    assert.equal(await clearOutbox(kv), 5);
    assert.deepEqual(await listOutbox(kv), []);
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
    assert.equal(stored, OUTBOX_LIMIT);
    const listed = await listOutbox(kv);
    assert.equal(listed.length, OUTBOX_LIMIT);
    assert.equal(listed[0].subject, `S${OUTBOX_LIMIT + 4}`);
    assert.equal(listed.at(-1)!.subject, "S5");
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
    assert.ok(stored.truncated);
    assert.equal(stored.raw, undefined);
    assert.equal(stored.text, "short text");
    assert.ok(stored.html.endsWith(HTML_TRUNCATED_NOTE));
    assert.ok(stored.html.length < 32_000);
    assert.equal((await listOutbox(kv))[0].id, stored.id); // the KV write succeeded
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
    assert.equal(m.to, "person@example.org");
    assert.equal(m.from, config.mailFrom);
    assert.ok(/^\d{4}-\d\d-\d\dT/.test(m.sentAt));
    assert.ok(m.raw, "raw MIME source is stored");
    const parsed = await PostalMime.parse(m.raw);
    assert.equal(parsed.subject, "Confirm your email");
    assert.equal(parsed.from?.address, "no-reply@localhost");
    assert.equal(parsed.to?.[0].address, "person@example.org");
    assert.equal(parsed.text?.trim(), "Open http://localhost:8000/verify?t=abc");
    assert.ok(parsed.html?.includes("Confirm</a>"));
  } finally {
    kv.close();
  }
});
