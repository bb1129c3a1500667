// Plain assertions: this file must type-check even where @types/node is not installed.
const assert = {
  equal(actual: unknown, expected: unknown) {
    if (actual !== expected) throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  },
  deepEqual(actual: unknown, expected: unknown) {
    assert.equal(JSON.stringify(actual), JSON.stringify(expected));
  },
  match(actual: string, re: RegExp) {
    if (!re.test(actual)) throw new Error(`expected ${JSON.stringify(actual)} to match ${re}`);
  },
};
import { formatSummary, summarize } from "./test_summary.ts";

const ESC = "\x1b";

Deno.test("summary counts tests, not steps, and reports ignored tests as skipped", () => {
  const out =
    `running 3 tests\n\n${ESC}[0m${ESC}[32mok${ESC}[0m | 12 passed (3 steps) | 0 failed | 2 ignored ${ESC}[0m${ESC}[38;5;245m(45ms)${ESC}[0m\n`;
  const s = summarize(out, 0);
  assert.deepEqual(s, { passed: 12, failed: 0, skipped: 2 });
  assert.equal(formatSummary(s), "12 passed, 0 failed, 2 skipped");
});

Deno.test("a failed run keeps Deno's counts and omits skipped when none were ignored", () => {
  const out = "FAILED | 2 passed (2 steps) | 1 failed (1 step) (71ms)\n\nerror: Test failed\n";
  const s = summarize(out, 1);
  assert.deepEqual(s, { passed: 2, failed: 1, skipped: 0 });
  assert.equal(formatSummary(s), "2 passed, 1 failed");
});

Deno.test("a non-zero exit without a summary (type error) is one failure with the reason", () => {
  const out = [
    "Check file:///repo/a_test.ts",
    "TS2322 [ERROR]: Type 'string' is not assignable to type 'number'.",
    'const x: number = "s";',
    "    at file:///repo/a_test.ts:1:7",
    "",
    "error: Type checking failed.",
  ].join("\n");
  const s = summarize(out, 1);
  assert.equal(formatSummary(s), "0 passed, 1 failed");
  assert.match(s.reason ?? "", /TS2322.*a_test\.ts:1:7/);
});

Deno.test("a non-zero exit after an all-passing summary still counts as a failure", () => {
  const s = summarize("ok | 4 passed | 0 failed (9ms)\nerror: Uncaught (in promise) Error: boom\n", 1);
  assert.equal(formatSummary(s), "4 passed, 1 failed");
  assert.match(s.reason ?? "", /boom/);
});

Deno.test("no test modules is reported with Deno's message", () => {
  const s = summarize("error: No test modules found\n", 1);
  assert.equal(formatSummary(s), "0 passed, 1 failed");
  assert.match(s.reason ?? "", /No test modules found/);
});
