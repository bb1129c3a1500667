// Accessibility checks for browser tests: axe-core (through @axe-core/playwright) run on a
// playwright Page against WCAG 2.0/2.1/2.2 A and AA, reporting the serious and critical violations.

import { AxeBuilder } from "@axe-core/playwright";
import type { Result } from "axe-core";
import type { Page } from "playwright-core";

/** The WCAG levels issue 13 asks for (axe's tag names). */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** The impacts that fail a page; minor and moderate findings are left to review. */
const BLOCKING = new Set(["serious", "critical"]);

/** One serious or critical violation, with what is needed to find and fix it. */
export interface A11yViolation {
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; summary: string }[];
}

/** Runs axe on the page as it is now and returns its serious and critical WCAG A/AA violations. */
export async function seriousViolations(page: Page): Promise<A11yViolation[]> {
  // Colours read halfway through a transition (after a colour-scheme switch, a panel opening) are
  // neither the old nor the new ones: axe must see the colours the page settles on.
  await settled(page);
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations
    .filter((v: Result) => BLOCKING.has(v.impact ?? ""))
    .map((v: Result) => ({
      id: v.id,
      impact: v.impact ?? "",
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.map(String).join(" "),
        html: n.html,
        summary: n.failureSummary ?? "",
      })),
    }));
}

/** A readable report: one block per rule with each offending node's selector, HTML and why. */
export function formatViolations(label: string, violations: A11yViolation[]): string {
  const lines = [`${label}: ${violations.length} serious/critical accessibility violation(s)`];
  for (const v of violations) {
    lines.push(`- ${v.id} (${v.impact}): ${v.help} <${v.helpUrl}>`);
    for (const n of v.nodes) {
      lines.push(`    at ${n.target}`, `      ${n.html.length > 300 ? `${n.html.slice(0, 300)}…` : n.html}`);
      for (const s of n.summary.split("\n").filter((l) => l.trim())) lines.push(`      ${s.trim()}`);
    }
  }
  return lines.join("\n");
}

/** Throws with formatViolations' report when the page has any serious or critical violation. */
export async function assertAccessible(page: Page, label: string): Promise<void> {
  const violations = await seriousViolations(page);
  if (violations.length) throw new Error(formatViolations(label, violations));
}

/** Waits for the page's running transitions and finite animations to end (infinite ones are left). */
export async function settled(page: Page): Promise<void> {
  await page.evaluate(() =>
    Promise.all(
      document.getAnimations()
        .filter((a) => Number.isFinite(Number(a.effect?.getComputedTiming().endTime ?? Infinity)))
        .map((a) => a.finished.catch(() => {})),
    )
  );
}
