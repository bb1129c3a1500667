// cleanLine / cleanText over a table of hostile input: what goes, what becomes a space or LF, what stays.

import assert from "node:assert/strict";
import { cleanLine, cleanText } from "./text.ts";

// [input, cleanLine, cleanText]
const TABLE: [string, string, string][] = [
  ["plain title", "plain title", "plain title"],
  ["two\r\nlines", "two lines", "two\nlines"],
  ["bare\rCR", "bare CR", "bare\nCR"],
  ["lf\nonly", "lf only", "lf\nonly"],
  [
    "Weekly\r\nATTENDEE;CN=x:mailto:evil@example.org",
    "Weekly ATTENDEE;CN=x:mailto:evil@example.org",
    "Weekly\nATTENDEE;CN=x:mailto:evil@example.org",
  ],
  ["nul\u0000byte", "nulbyte", "nulbyte"],
  ["bell\u0007 esc\u001b del\u007f", "bell esc del", "bell esc del"],
  ["c1 \u0080\u009b\u009f end", "c1  end", "c1  end"],
  ["next\u0085line", "next line", "next\nline"],
  ["ls\u2028ps\u2029end", "ls ps end", "ls\nps\nend"],
  ["vt\u000bff\u000cend", "vt ff end", "vt\nff\nend"],
  ["tab\there", "tab here", "tab\there"],
  ["invoice_\u202efdp.exe", "invoice_fdp.exe", "invoice_fdp.exe"],
  ["\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069x", "x", "x"],
  ["marks \u200e\u200f\u061c stay", "marks \u200e\u200f\u061c stay", "marks \u200e\u200f\u061c stay"],
  ["lone high \ud800 end", "lone high  end", "lone high  end"],
  ["lone low \udc00 end", "lone low  end", "lone low  end"],
  ["reversed \udc00\ud800 pair", "reversed  pair", "reversed  pair"],
  ["pair 🎉 stays", "pair 🎉 stays", "pair 🎉 stays"],
  ["Zoë 日本 e\u0301 👩‍👩‍👧‍👦", "Zoë 日本 e\u0301 👩‍👩‍👧‍👦", "Zoë 日本 e\u0301 👩‍👩‍👧‍👦"],
  ["keeps ; , \\ \" ' < >", "keeps ; , \\ \" ' < >", "keeps ; , \\ \" ' < >"],
  ["  spaces kept (schemas trim)  ", "  spaces kept (schemas trim)  ", "  spaces kept (schemas trim)  "],
  ["", "", ""],
];

Deno.test("text: cleanLine and cleanText over hostile input", () => {
  for (const [input, line, text] of TABLE) {
    assert.equal(cleanLine(input), line, `cleanLine(${JSON.stringify(input)})`);
    assert.equal(cleanText(input), text, `cleanText(${JSON.stringify(input)})`);
  }
});

Deno.test("text: cleaned text is well formed, has no control or bidi override left, and cleaning is idempotent", () => {
  const samples = TABLE.map(([input]) => input).concat([
    Array.from({ length: 0x100 }, (_, i) => String.fromCharCode(i)).join(""),
    "\ud83c\ud83c\udf89\udf89",
  ]);
  for (const s of samples) {
    for (
      const [name, clean, allowed] of [["cleanLine", cleanLine, /^$/], ["cleanText", cleanText, /[\t\n]/]] as const
    ) {
      const out = clean(s);
      assert.ok(out.isWellFormed(), `${name}: lone surrogate left in ${JSON.stringify(out)}`);
      for (const ch of out) {
        const cp = ch.codePointAt(0)!;
        const control = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029;
        const bidi = (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
        assert.ok(!bidi, `${name}: bidi control U+${cp.toString(16)} left`);
        assert.ok(!control || allowed.test(ch), `${name}: control U+${cp.toString(16)} left`);
      }
      assert.equal(clean(out), out, `${name} is idempotent on ${JSON.stringify(s)}`);
    }
  }
});
