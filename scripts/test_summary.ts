// Turns `deno test` output into the one closing line CI reads: `N passed, N failed[, N skipped]`.
// Usage: deno run --allow-read scripts/test_summary.ts LOG_FILE DENO_EXIT_CODE

export interface TestSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** Why the counts were not (only) Deno's own, printed on the line before the summary. */
  reason?: string;
}

// deno's ANSI colour codes (it colours even when piped).
// deno-lint-ignore no-control-regex -- matching the escape character is the point
const ANSI = /\x1b\[[0-9;]*m/g;

// `ok | 12 passed (3 steps) | 0 failed | 2 ignored (45ms)` or `FAILED | 1 passed | 2 failed (1 step) (3s)`.
// The counts outside the parentheses are tests; the parenthesised ones are steps.
const SUMMARY = /^(ok|FAILED) \| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed(?: \(\d+ steps?\))?(.*)$/;
const IGNORED = /\| (\d+) ignored/;

/** Reads Deno's last summary line; a non-zero exit without one (type error, crash) is one failure. */
export function summarize(output: string, exitCode: number): TestSummary {
  const lines = output.replace(ANSI, "").split(/\r?\n/).map((l) => l.trim());
  let found: TestSummary | null = null;
  for (const line of lines) {
    const m = SUMMARY.exec(line);
    if (!m) continue;
    const ignored = IGNORED.exec(m[4]);
    found = { passed: Number(m[2]), failed: Number(m[3]), skipped: ignored ? Number(ignored[1]) : 0 };
  }
  if (!found) {
    if (exitCode === 0) return { passed: 0, failed: 0, skipped: 0, reason: "deno test printed no summary line" };
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      reason: `deno test exited ${exitCode} without running: ${firstError(lines)}`,
    };
  }
  if (exitCode !== 0 && found.failed === 0) {
    return { ...found, failed: 1, reason: `deno test exited ${exitCode} after its tests: ${firstError(lines)}` };
  }
  return found;
}

function firstError(lines: string[]): string {
  const i = lines.findIndex((l) => /^error(\[\w+\])?:/i.test(l) || /^TS\d+ \[ERROR\]/.test(l));
  if (i < 0) return "no error message (see the output above)";
  // A type error names the file on a following "at file://…" line.
  const at = lines.slice(i + 1, i + 6).find((l) => l.startsWith("at "));
  return at ? `${lines[i]} (${at})` : lines[i];
}

/** The closing line itself. */
export function formatSummary(s: TestSummary): string {
  return `${s.passed} passed, ${s.failed} failed${s.skipped ? `, ${s.skipped} skipped` : ""}`;
}

if (import.meta.main) {
  const [file, code] = Deno.args;
  if (!file || code === undefined) {
    console.error("usage: deno run --allow-read scripts/test_summary.ts LOG_FILE DENO_EXIT_CODE");
    Deno.exit(2);
  }
  const summary = summarize(await Deno.readTextFile(file), Number(code));
  if (summary.reason) console.log(`test: ${summary.reason}`);
  console.log(formatSummary(summary));
}
