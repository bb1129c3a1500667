// Page weight: the JavaScript each page ships (raw and gzip), as headless Chromium loads it from the
// real app. Signed-out pages, signed-in account pages, and a meeting page as its host.
//
//   deno run -A bench/page_weight.ts
//
// Goals: the meeting page ≤ 150 KB gzip (150,000 bytes, janus.js included, and it must be there);
// 0 bytes on every page without islands. Prints a table; exits 1 when a goal is missed.
//
// The app runs as a child process (tests/support/server.ts) on loopback with its own temporary data
// folder; the account is made through the sign-up form and the meeting through the dashboard's
// "New meeting" form (POST /meetings). Every page is loaded in a fresh browser context (empty HTTP
// cache); every response Chromium sees as a script (or with a JavaScript content type, including
// modulepreloads) is counted once per URL, plus inline <script> elements of the HTML. gzip = the
// size at the default gzip level (CompressionStream), whether or not the server compresses.
// BENCH_TIMEOUT (seconds, default 180) bounds the whole run.

import type { Browser, BrowserContext, Response } from "playwright-core";
import { type RunningServer, startServer } from "../tests/support/server.ts";
import { chromium } from "playwright-core";
import { browserUnavailable, CHROMIUM_PATH } from "../tests/support/browser.ts";
import { Cleanup, fmtBytes, gzipSize, positiveInt, printTable } from "./support/common.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const MEETING_GOAL_GZIP = 150_000;
const TIMEOUT_S = positiveInt("BENCH_TIMEOUT", 180);

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

interface ScriptFile {
  url: string;
  raw: number;
  gzip: number;
  janus: boolean;
}

interface Weight {
  label: string;
  path: string;
  status: number;
  islands: string[];
  files: ScriptFile[];
  inlineRaw: number;
  inlineGzip: number;
}

const total = (w: Weight) => ({
  raw: w.files.reduce((n, f) => n + f.raw, 0) + w.inlineRaw,
  gzip: w.files.reduce((n, f) => n + f.gzip, 0) + w.inlineGzip,
});

function isScript(res: Response): boolean {
  const type = res.request().resourceType();
  const ct = res.headers()["content-type"] ?? "";
  return type === "script" || /javascript|ecmascript/i.test(ct);
}

/** Loads `path` in a fresh context and weighs the JavaScript it brings. */
async function weigh(
  browser: Browser,
  base: string,
  label: string,
  path: string,
  state?: StorageState,
): Promise<Weight> {
  const context = await browser.newContext(state ? { storageState: state } : {});
  try {
    const page = await context.newPage();
    const pending: Promise<ScriptFile | null>[] = [];
    const seen = new Set<string>();
    page.on("response", (res) => {
      if (!isScript(res) || seen.has(res.url())) return;
      seen.add(res.url());
      pending.push((async () => {
        try {
          const body = new Uint8Array(await res.body());
          const text = new TextDecoder().decode(body);
          return {
            url: res.url(),
            raw: body.length,
            gzip: await gzipSize(body),
            // janus.js opens its WebSocket with this subprotocol; nothing else of ours names it.
            janus: text.includes("janus-protocol"),
          };
        } catch {
          return null; // a redirect or aborted load has no body
        }
      })());
    });
    const res = await page.goto(`${base}${path}`, { waitUntil: "networkidle", timeout: 30_000 });
    if (!res) throw new Error(`no response for ${path}`);
    // Late dynamic imports, if any.
    await page.waitForTimeout(500);
    const html = await res.text();
    const islands = [...html.matchAll(/<!--ts-island:([^:]+):/g)].map((m) => m[1]);
    let inlineRaw = 0;
    let inlineGzip = 0;
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      if (/\bsrc\s*=/i.test(m[1]) || /type\s*=\s*["']?application\/(ld\+)?json/i.test(m[1])) continue;
      const bytes = new TextEncoder().encode(m[2]);
      if (!bytes.length) continue;
      inlineRaw += bytes.length;
      inlineGzip += await gzipSize(bytes);
    }
    const files = (await Promise.all(pending)).filter((f): f is ScriptFile => f !== null);
    files.sort((a, b) => b.raw - a.raw);
    return { label, path: new URL(page.url()).pathname, status: res.status(), islands, files, inlineRaw, inlineGzip };
  } finally {
    await context.close();
  }
}

async function main(cleanup: Cleanup): Promise<number> {
  const noBrowser = browserUnavailable();
  if (noBrowser) {
    console.log(`bench: cannot run the page weight benchmark here: ${noBrowser}`);
    return 2;
  }
  const build = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/build_islands.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!build.success) throw new Error(`building the islands failed:\n${new TextDecoder().decode(build.stderr)}`);

  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-bench-weight-" });
  cleanup.add("remove the data folder", () => Deno.remove(dataDir, { recursive: true }));
  const server: RunningServer = await startServer({ TALKSPACE_LOG: "quiet", DATA_DIR: dataDir });
  cleanup.add("stop the web app", () => server.stop());
  const base = server.url;
  // tests/support/browser.ts's flags (Chromium kept off the network), plus fake media because the
  // meeting page asks for camera and microphone on load. Playwright's own signal handlers are off:
  // they would exit the process on Ctrl-C before our cleanup stopped the server.
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
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
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
    ],
  });
  cleanup.add("close Chromium", () => browser.close());

  const weights: Weight[] = [];
  for (const path of ["/", "/signin", "/signup", "/reset"]) {
    weights.push(await weigh(browser, base, "signed out", path));
  }

  // An account through the sign-up form (it signs the new account in), then a meeting from the dashboard.
  const signup = await browser.newContext();
  const page = await signup.newPage();
  await page.goto(`${base}/signup`);
  await page.fill("input[name=name]", "Bea Bench");
  await page.fill("input[name=email]", "bea@example.test");
  await page.fill("input[name=password]", "correct horse battery staple 42");
  await Promise.all([
    page.waitForURL((u) => u.pathname !== "/signup", { timeout: 20_000 }),
    page.click("form[action='/signup'] [type=submit]"),
  ]).catch(async (err) => {
    throw new Error(`signing up failed (${err.message}); page says: ${(await page.textContent("main"))?.trim()}`);
  });
  await page.goto(`${base}/dashboard`);
  if (new URL(page.url()).pathname !== "/dashboard") throw new Error(`not signed in after sign-up: at ${page.url()}`);
  await Promise.all([
    page.waitForURL(/\/m\/\d+$/, { timeout: 20_000 }),
    page.click("form[action='/meetings'] [type=submit]"),
  ]);
  const meetingPath = new URL(page.url()).pathname;
  const signedIn = await signup.storageState();
  await signup.close();

  for (const path of ["/dashboard", "/account", "/account/tokens", "/account/totp"]) {
    weights.push(await weigh(browser, base, "signed in", path, signedIn));
  }
  const meeting = await weigh(browser, base, "host", meetingPath, signedIn);
  weights.push(meeting);

  console.log("");
  printTable(
    ["page", "who", "status", "islands", "files", "JS bytes", "JS gzip", "inline", "janus.js", "goal"],
    weights.map((w) => {
      const t = total(w);
      const isMeeting = w === meeting;
      const goal = isMeeting
        ? (t.gzip <= MEETING_GOAL_GZIP && w.files.some((f) => f.janus) ? "ok" : "MISSED")
        : w.islands.length === 0
        ? (t.raw === 0 ? "ok" : "MISSED")
        : "-";
      return [
        w.path,
        w.label,
        String(w.status),
        w.islands.length ? [...new Set(w.islands)].join(",") : "none",
        String(w.files.length),
        fmtBytes(t.raw),
        fmtBytes(t.gzip),
        fmtBytes(w.inlineRaw),
        w.files.some((f) => f.janus) ? "yes" : "no",
        goal,
      ];
    }),
  );
  console.log("");
  console.log(`meeting page ${meeting.path}, file by file:`);
  printTable(
    ["file", "bytes", "gzip", "janus.js"],
    [
      ...meeting.files.map((f) => [new URL(f.url).pathname, fmtBytes(f.raw), fmtBytes(f.gzip), f.janus ? "yes" : ""]),
      ["(inline boot script)", fmtBytes(meeting.inlineRaw), fmtBytes(meeting.inlineGzip), ""],
    ],
  );
  console.log("");

  const problems: string[] = [];
  for (const w of weights) {
    if (w.status !== 200) problems.push(`${w.path} answered ${w.status}, not 200`);
  }
  const m = total(meeting);
  if (!meeting.files.some((f) => f.janus)) {
    problems.push(`the meeting page loaded no janus.js (no script mentions "janus-protocol")`);
  }
  if (m.gzip > MEETING_GOAL_GZIP) {
    problems.push(
      `the meeting page ships ${fmtBytes(m.gzip)} bytes gzip, over the ${fmtBytes(MEETING_GOAL_GZIP)} goal`,
    );
  }
  for (const w of weights) {
    if (w !== meeting && w.islands.length === 0 && total(w).raw > 0) {
      problems.push(`${w.path} has no islands but ships ${fmtBytes(total(w).raw)} bytes of JavaScript`);
    }
  }
  console.log(
    `meeting page: ${fmtBytes(m.gzip)} bytes gzip of a ${fmtBytes(MEETING_GOAL_GZIP)} budget ` +
      `(${((m.gzip / MEETING_GOAL_GZIP) * 100).toFixed(0)}%), ${fmtBytes(m.raw)} bytes raw`,
  );
  if (problems.length) {
    for (const p of problems) console.log(`bench: GOAL MISSED: ${p}`);
    return 1;
  }
  console.log("bench: every page meets its goal (meeting page ≤ 150 KB gzip with janus.js; 0 without islands)");
  return 0;
}

if (import.meta.main) {
  const cleanup = new Cleanup();
  cleanup.install(TIMEOUT_S * 1000);
  let code = 1;
  try {
    code = await main(cleanup);
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
  } finally {
    await cleanup.run();
  }
  Deno.exit(code);
}
