// Page weight: the bytes each page really transfers, as headless Chromium loads it from the real
// app with compression negotiated as a browser does (Chromium's own Accept-Encoding: gzip, deflate,
// br, zstd). Signed-out pages, signed-in account pages, and a meeting page as its host.
//
//   deno run -A bench/page_weight.ts
//
// Goals: the meeting page ≤ 60 KB on the wire (60,000 bytes: HTML + JS + CSS, response headers
// included) before joining, its language's catalog chunk (the meeting island's messages, a module
// the page imports: lib/web/islands/build.ts) counted among its JS, and janus.js arriving once the
// host clicks Join. The meeting page is then visited again in the same browser: a repeat visit, what
// the HTTP cache leaves to transfer (reported, no goal). No JavaScript on a page
// without islands but the service worker's registration script (static/pwa.js, on every page since
// the app became installable), whose body stays ≤ 1 KB on the wire. The baseline, printed beside it as a ratio, is the same responses
// uncompressed (their decoded bodies plus the same headers): what the page cost before the server
// compressed anything. Exits 1 when a goal is missed.
//
// The app runs as a child process (tests/support/server.ts) on loopback with its own temporary data
// folder; the account is made through the sign-up form and the meeting through the dashboard's
// "New meeting" form (POST /meetings). Every page is loaded in a fresh browser context (empty HTTP
// cache); every request that finishes is counted: on the wire = Playwright's request.sizes()
// (Chromium's encoded body bytes, Network.loadingFinished's encodedDataLength less the headers,
// plus the response headers), uncompressed = the decoded body plus the same headers. Split by
// what Chromium loaded it as: HTML (the document), JS (scripts, modulepreloads), CSS, other.
// BENCH_TIMEOUT (seconds, default 180) bounds the whole run.

import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { type RunningServer, startServer } from "../tests/support/server.ts";
import { browserUnavailable, buildIslands, launchBrowser } from "../tests/support/browser.ts";
import { type Cleanup, fmtBytes, positiveInt, printTable, runBench } from "./support/common.ts";

const MEETING_GOAL_WIRE = 60_000;
/** Encoded body bytes of static/pwa.js, the one script every page loads. */
const PWA_SCRIPT_GOAL = 1_024;
const PWA_SCRIPT_RE = /\/static\/pwa-[0-9a-f]{12}\.js$/;
const TIMEOUT_S = positiveInt("BENCH_TIMEOUT", 180);
const KINDS = ["html", "js", "css", "other"] as const;
type Kind = typeof KINDS[number];

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

interface Loaded {
  url: string;
  kind: Kind;
  status: number;
  encoding: string;
  /** Encoded body + response headers: what crossed the network. */
  wire: number;
  /** Decoded body + the same headers: the uncompressed baseline. */
  raw: number;
  headers: number;
  janus: boolean;
}

interface Weight {
  label: string;
  path: string;
  status: number;
  islands: string[];
  files: Loaded[];
  inlineScript: number;
}

function kindOf(req: Request, contentType: string): Kind {
  const type = req.resourceType();
  if (type === "document") return "html";
  if (type === "script" || /javascript|ecmascript/i.test(contentType)) return "js";
  if (type === "stylesheet" || /^text\/css/i.test(contentType)) return "css";
  return "other";
}

const sum = (files: Loaded[], key: "wire" | "raw", kinds: readonly Kind[] = ["html", "js", "css"]) =>
  files.filter((f) => kinds.includes(f.kind)).reduce((n, f) => n + f[key], 0);

const isPwaScript = (f: Loaded) => PWA_SCRIPT_RE.test(new URL(f.url).pathname);

/** JavaScript bytes (uncompressed) a page runs besides the worker's registration script. */
const islandJs = (w: Weight) => sum(w.files.filter((f) => !isPwaScript(f)), "raw", ["js"]) + w.inlineScript;

/** The meeting island's catalog chunk of one language (lib/web/islands/build.ts names it so). */
const CATALOG_CHUNK_RE = /\/_islands\/MeetingRoom-[a-z]{2}-[0-9a-f]{12}\.js$/;

/**
 * Counts every request of `source` (a page, or all of a context's pages) that finishes from now
 * on; `settled()` waits for their sizes. A response from the HTTP cache counts what crossed the
 * network for it: nothing.
 */
function recordRequests(source: Page | BrowserContext) {
  const pending: Promise<Loaded | null>[] = [];
  source.on("requestfinished", (req: Request) => {
    pending.push((async () => {
      const res = await within(req.response(), `the response of ${req.url()}`);
      if (!res) return null;
      const sizes = await within(req.sizes(), `the sizes of ${req.url()}`);
      const contentType = res.headers()["content-type"] ?? "";
      let body = new Uint8Array();
      try {
        // A service worker's own fetches may never hand their body to the page's side.
        body = new Uint8Array(await within(res.body(), `the body of ${req.url()}`) ?? new Uint8Array());
      } catch { /* a redirect has no body */ }
      if (!sizes) return null;
      // From the HTTP cache Chromium counts no bytes at all (its body size is minus the headers').
      const wire = Math.max(0, sizes.responseBodySize + sizes.responseHeadersSize);
      const headers = wire ? sizes.responseHeadersSize : 0;
      return {
        url: req.url(),
        kind: kindOf(req, contentType),
        status: res.status(),
        encoding: res.headers()["content-encoding"] ?? "identity",
        wire,
        raw: body.length + headers,
        headers,
        // janus.js opens its WebSocket with this subprotocol; nothing else of ours names it.
        janus: contentType.includes("javascript") && new TextDecoder().decode(body).includes("janus-protocol"),
      };
    })());
  });
  return {
    async settled(): Promise<Loaded[]> {
      let n = -1;
      while (n !== pending.length) { // a response may finish while earlier ones are being read
        n = pending.length;
        await Promise.all(pending);
      }
      return (await Promise.all(pending)).filter((f): f is Loaded => f !== null);
    },
  };
}

/** `p`, or undefined (said once on the console) when it has not settled in 5 s. */
async function within<T>(p: Promise<T>, what: string): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      console.log(`bench: gave up waiting for ${what}`);
      resolve(undefined);
    }, 5_000);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Loads `path` in a fresh context and weighs what it transferred. */
async function weigh(
  browser: Browser,
  base: string,
  label: string,
  path: string,
  state?: StorageState,
  afterLoad?: (page: Page, files: Loaded[], context: BrowserContext) => Promise<void>,
): Promise<Weight> {
  // Service workers blocked: Chromium reports a request the worker answers with no sizes (it read
  // as 0 bytes, janus.js after Join included), so the bench weighs the network without it; the
  // worker (registered after load) would only answer more from its caches on later visits.
  const context = await browser.newContext({ serviceWorkers: "block", ...(state ? { storageState: state } : {}) });
  try {
    const page = await context.newPage();
    const recorder = recordRequests(page);
    const res = await page.goto(`${base}${path}`, { waitUntil: "networkidle", timeout: 30_000 });
    if (!res) throw new Error(`no response for ${path}`);
    // Late dynamic imports, if any.
    await page.waitForTimeout(500);
    const html = await res.text();
    const islands = [...html.matchAll(/<!--ts-island:([^:]+):/g)].map((m) => m[1]);
    let inlineScript = 0;
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      if (/\bsrc\s*=/i.test(m[1]) || /type\s*=\s*["']?application\/(ld\+)?json/i.test(m[1])) continue;
      inlineScript += new TextEncoder().encode(m[2]).length;
    }
    const files = await recorder.settled();
    files.sort((a, b) => b.wire - a.wire);
    const weight = { label, path: new URL(page.url()).pathname, status: res.status(), islands, files, inlineScript };
    if (afterLoad) await afterLoad(page, files, context);
    return weight;
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
  await buildIslands();

  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-bench-weight-" });
  cleanup.add("remove the data folder", () => Deno.remove(dataDir, { recursive: true }));
  const server: RunningServer = await startServer({ TALKSPACE_LOG: "quiet", DATA_DIR: dataDir });
  cleanup.add("stop the web app", () => server.stop());
  const base = server.url;
  // tests/support/browser.ts's flags (Chromium kept off the network, Playwright's signal handlers off
  // so that Ctrl-C reaches our cleanup), plus fake media because the meeting page asks for camera and
  // microphone on load.
  const browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
  cleanup.add("close Chromium", () => browser.close());

  const weights: Weight[] = [];
  for (const path of ["/", "/signin", "/signup", "/reset"]) {
    weights.push(await weigh(browser, base, "signed out", path));
  }

  // An account through the sign-up form, signed in with its password, then a meeting from the dashboard.
  const signup = await browser.newContext();
  const page = await signup.newPage();
  await page.goto(`${base}/signup`);
  await page.fill("input[name=name]", "Bea Bench");
  await page.fill("input[name=email]", "bea@example.test");
  await page.fill("input[name=password]", "correct horse battery staple 42");
  await Promise.all([
    // Sign-up answers "check your email" and signs no one in (issue 12); the password works at once.
    page.waitForURL(/notice=check-email/, { timeout: 20_000 }),
    page.click("form[action='/signup'] [type=submit]"),
  ]).catch(async (err) => {
    throw new Error(`signing up failed (${err.message}); page says: ${(await page.textContent("main"))?.trim()}`);
  });
  await page.goto(`${base}/signin`);
  await page.fill("form[action='/signin'] input[name=email]", "bea@example.test");
  await page.fill("form[action='/signin'] input[name=password]", "correct horse battery staple 42");
  await Promise.all([
    page.waitForURL((u) => u.pathname !== "/signin"),
    page.click("form[action='/signin'] [type=submit]"),
  ]);
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
  // The meeting page as it loads (the goal), then what joining brings (janus.js, lazily imported).
  let afterJoin: Loaded[] = [];
  let repeat: Loaded[] = [];
  const meeting = await weigh(browser, base, "host", meetingPath, signedIn, async (page, loaded, context) => {
    // A repeat visit first (before joining, as the first one was): the same page again in this
    // browser, its files cached (immutable) by now, the service worker installed.
    const again = recordRequests(context);
    await page.goto(`${base}${meetingPath}`, { waitUntil: "networkidle", timeout: 30_000 });
    await page.waitForTimeout(500);
    repeat = (await again.settled()).sort((a, b) => b.wire - a.wire);
    const recorder = recordRequests(page);
    const janusFinished = page.waitForEvent("requestfinished", {
      predicate: (r) => /\/_islands\/janus-/.test(new URL(r.url()).pathname),
      timeout: 20_000,
    }).catch(() => {}); // a missing janus.js is reported below
    await page.click("button.room-join");
    await janusFinished;
    await page.waitForTimeout(500); // what media asks for next (its access request)
    const before = new Set(loaded.map((f) => f.url));
    afterJoin = (await recorder.settled()).filter((f) => !before.has(f.url));
  });
  weights.push(meeting);

  console.log("");
  printTable(
    ["page", "who", "status", "islands", "reqs", "HTML", "JS", "CSS", "other", "wire", "uncompressed", "ratio", "goal"],
    weights.map((w) => {
      const isMeeting = w === meeting;
      const wire = sum(w.files, "wire");
      const raw = sum(w.files, "raw");
      const js = islandJs(w);
      const goal = isMeeting
        ? (wire <= MEETING_GOAL_WIRE && afterJoin.some((f) => f.janus) ? "ok" : "MISSED")
        : w.islands.length === 0
        ? (js === 0 ? "ok" : "MISSED")
        : "-";
      return [
        w.path,
        w.label,
        String(w.status),
        w.islands.length ? [...new Set(w.islands)].join(",") : "none",
        String(w.files.length),
        ...KINDS.map((k) => fmtBytes(sum(w.files, "wire", [k]))),
        fmtBytes(wire),
        fmtBytes(raw),
        raw ? (wire / raw).toFixed(2) : "-",
        goal,
      ];
    }),
  );
  console.log("(HTML, JS, CSS, other: on-the-wire bytes with headers; wire, uncompressed and ratio: HTML + JS + CSS)");
  console.log("");
  console.log(`meeting page ${meeting.path}, request by request:`);
  const fileRows = (files: Loaded[]) =>
    files.map((f) => [
      new URL(f.url).pathname,
      f.kind,
      f.encoding,
      fmtBytes(f.wire),
      fmtBytes(f.headers),
      fmtBytes(f.raw),
      f.janus ? "yes" : "",
    ]);
  const fileHeader = ["request", "kind", "encoding", "wire", "of it headers", "uncompressed", "janus.js"];
  printTable(fileHeader, fileRows(meeting.files));
  console.log("");
  console.log("after clicking Join:");
  printTable(fileHeader, fileRows(afterJoin));
  console.log("");
  console.log("a repeat visit of the meeting page (same browser, warm cache):");
  printTable(fileHeader, fileRows(repeat));
  console.log("");

  const problems: string[] = [];
  for (const w of weights) {
    if (w.status !== 200) problems.push(`${w.path} answered ${w.status}, not 200`);
  }
  const wire = sum(meeting.files, "wire");
  const raw = sum(meeting.files, "raw");
  if (!afterJoin.some((f) => f.janus)) {
    problems.push(`joining the meeting loaded no janus.js (no script mentions "janus-protocol")`);
  }
  if (meeting.files.some((f) => f.janus)) problems.push("the meeting page loads janus.js before anyone joins");
  const catalog = meeting.files.filter((f) => CATALOG_CHUNK_RE.test(new URL(f.url).pathname));
  if (catalog.length !== 1 || catalog[0].kind !== "js") {
    problems.push(`the meeting page loaded ${catalog.length} catalog chunks, not one counted as JS`);
  }
  if (wire > MEETING_GOAL_WIRE) {
    problems.push(`the meeting page transfers ${fmtBytes(wire)} bytes, over the ${fmtBytes(MEETING_GOAL_WIRE)} goal`);
  }
  for (const w of weights) {
    const js = islandJs(w);
    if (w !== meeting && w.islands.length === 0 && js > 0) {
      problems.push(`${w.path} has no islands but ships ${fmtBytes(js)} bytes of JavaScript beside pwa.js`);
    }
  }
  const pwaScripts = weights.flatMap((w) => w.files.filter(isPwaScript).map((f) => ({ page: w.path, f })));
  if (pwaScripts.length < weights.length) problems.push("a page did not load the service worker's script (pwa.js)");
  const pwa = pwaScripts[0]?.f;
  if (pwa) {
    const body = pwa.wire - pwa.headers;
    console.log(
      `every page loads ${new URL(pwa.url).pathname}: ${fmtBytes(pwa.wire)} bytes on the wire ` +
        `(${fmtBytes(body)} body in ${pwa.encoding}, ${fmtBytes(pwa.headers)} headers; ${
          fmtBytes(pwa.raw - pwa.headers)
        } uncompressed)`,
    );
    if (body > PWA_SCRIPT_GOAL) {
      problems.push(`pwa.js is ${fmtBytes(body)} bytes on the wire, over its ${fmtBytes(PWA_SCRIPT_GOAL)} goal`);
    }
  }
  const joinWire = afterJoin.reduce((n, f) => n + f.wire, 0);
  console.log(
    `meeting page: ${fmtBytes(wire)} bytes on the wire of a ${fmtBytes(MEETING_GOAL_WIRE)} budget ` +
      `(${((wire / MEETING_GOAL_WIRE) * 100).toFixed(0)}%); uncompressed ${fmtBytes(raw)} bytes; ` +
      `wire ÷ uncompressed = ${(wire / raw).toFixed(3)} (JS ${fmtBytes(sum(meeting.files, "wire", ["js"]))}, ` +
      `HTML ${fmtBytes(sum(meeting.files, "wire", ["html"]))}, CSS ${fmtBytes(sum(meeting.files, "wire", ["css"]))})`,
  );
  console.log(`joining then fetches ${fmtBytes(joinWire)} bytes on the wire (janus.js and what media asks for)`);
  for (const f of catalog) {
    console.log(
      `of the meeting page, its catalog chunk ${new URL(f.url).pathname}: ${fmtBytes(f.wire)} bytes on the wire ` +
        `(${fmtBytes(f.wire - f.headers)} body in ${f.encoding}, ${fmtBytes(f.headers)} headers)`,
    );
  }
  const repeatWire = sum(repeat, "wire");
  console.log(
    `a repeat visit of the meeting page transfers ${fmtBytes(repeatWire)} bytes on the wire (HTML + JS + CSS; ` +
      `first visit ${fmtBytes(wire)}): ${repeat.filter((f) => f.wire > 0).length} of ${repeat.length} requests ` +
      "crossed the network",
  );
  if (problems.length) {
    for (const p of problems) console.log(`bench: GOAL MISSED: ${p}`);
    return 1;
  }
  console.log(
    "bench: every page meets its goal (meeting page ≤ 60 KB on the wire, janus.js on join; " +
      "no JS without islands but pwa.js, ≤ 1 KB)",
  );
  return 0;
}

if (import.meta.main) await runBench(main, TIMEOUT_S);
