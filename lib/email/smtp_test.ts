// Header writing: a subject or recipient cannot start a header of its own (CR, LF, NEL, U+2028) or
// add recipients; checked on the MIME source nodemailer builds, as an SMTP server would receive it.

import assert from "node:assert/strict";
import { loadConfig } from "../common/config.ts";
import { buildRawMessage, recipientHeader, subjectHeader } from "./smtp.ts";

const config = loadConfig({ TALKSPACE_ENV: "test", PUBLIC_URL: "http://localhost:8000", KV_PATH: ":memory:" });

/** The header block of a raw message, unfolded (a folded header continues on a line starting with space or tab). */
function headers(raw: string): string[] {
  return raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]/g, " ").split("\r\n");
}

Deno.test("smtp: a hostile subject stays one Subject header; nothing else is added", async () => {
  const subjects = [
    "Hi\r\nBcc: evil@example.org",
    "Hi\rBcc: evil@example.org",
    "Hi\nBcc: evil@example.org",
    "Hi\u0085Bcc: evil@example.org",
    "Hi\u2028Bcc: evil@example.org\u2029X-Evil: 1",
    "Invitation: Weekly\r\n\r\n<html>body injection",
  ];
  for (const subject of subjects) {
    assert.doesNotMatch(subjectHeader(subject), /[\r\n\u0085\u2028\u2029]/);
    const raw = await buildRawMessage(config, { to: "ann@example.org", subject, text: "t", html: "<p>h</p>" });
    const names = headers(raw).map((h) => h.slice(0, h.indexOf(":")).toLowerCase());
    assert.deepEqual(names.filter((n) => n === "subject"), ["subject"], JSON.stringify(subject));
    assert.ok(!names.includes("bcc") && !names.includes("x-evil"), `${JSON.stringify(subject)}: ${names}`);
    assert.ok(!/^\s*<html>/m.test(raw.slice(0, raw.indexOf("\r\n\r\n"))), "no body starts early");
  }
});

Deno.test("smtp: a recipient with a line break or a list separator is refused", async () => {
  assert.equal(recipientHeader("ann@example.org"), "ann@example.org");
  for (
    const to of [
      "ann@example.org\r\nBcc: evil@example.org",
      "ann@example.org\n",
      "ann@example.org, evil@example.org",
      "a@x;b@y",
      "a@x\u2028",
    ]
  ) {
    assert.throws(() => recipientHeader(to), /Not a single email address/, JSON.stringify(to));
    await assert.rejects(
      buildRawMessage(config, { to, subject: "s", text: "t", html: "h" }),
      /Not a single email address/,
    );
  }
});
