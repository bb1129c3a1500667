// Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, and the island bundles the
// pages it loads need. Tests that need it are skipped with the reason when the binary is missing.

import { chromium } from "playwright-core";
import type { Browser, BrowserContext } from "playwright-core";

export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Why browser tests cannot run here, or null when they can. */
export function browserUnavailable(): string | null {
  try {
    Deno.statSync(CHROMIUM_PATH);
    return null;
  } catch {
    return `no Chromium at ${CHROMIUM_PATH} (npm test installs the Debian package when run as root)`;
  }
}

/** The flags every test browser gets: Chromium kept off the network and out of the way. */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

// Playwright's own signal handlers exit the process before a test's cleanup runs (leaking
// network namespaces and servers); let the caller's finally blocks stop things instead.
const NO_SIGNAL_HANDLERS = { handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false };

/** Chromium with our flags and `extraArgs`; `executablePath` may be a wrapper (see chromiumInNamespace). */
export async function launchBrowser(extraArgs: string[] = [], executablePath = CHROMIUM_PATH): Promise<Browser> {
  return await chromium.launch({
    executablePath,
    headless: true,
    ...NO_SIGNAL_HANDLERS,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/**
 * Chromium with a real profile in `userDataDir` (closing the context closes the browser): unlike
 * launchBrowser's contexts it is not off the record, which some checks need (Chromium counts an
 * off-the-record window as a reason an app cannot be installed).
 */
export async function launchProfileBrowser(userDataDir: string, extraArgs: string[] = []): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    ...NO_SIGNAL_HANDLERS,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/**
 * Writes into `dir` a script that runs Chromium inside the network namespace `nsName`, for
 * launchBrowser: its ICE candidates are then on the namespace's veth.
 */
export async function chromiumInNamespace(nsName: string, dir: string): Promise<string> {
  const wrapper = `${dir}/chromium-in-ns.sh`;
  await Deno.writeTextFile(wrapper, `#!/bin/sh\nexec ip netns exec ${nsName} ${CHROMIUM_PATH} "$@"\n`);
  await Deno.chmod(wrapper, 0o755);
  return wrapper;
}

/** Builds the island bundles the server serves (scripts/build_islands.ts, into _build/islands). */
export async function buildIslands(): Promise<void> {
  const build = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/build_islands.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!build.success) throw new Error(`building the islands failed:\n${new TextDecoder().decode(build.stderr)}`);
}
