// Headless Chromium (Debian's /usr/bin/chromium) through playwright-core. Tests that need it are
// skipped with the reason when the binary is missing.

import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";

export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/** Why browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  try {
    Deno.statSync(CHROMIUM_PATH);
    return null;
  } catch {
    return `no Chromium at ${CHROMIUM_PATH} (npm test installs the Debian package when run as root)`;
  }
}

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Playwright's own signal handlers exit the process before a test's cleanup runs (leaking
    // network namespaces and servers); let the caller's finally blocks stop things instead.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      ...extraArgs,
    ],
  });
}
