// HTTP benchmark: the real app against a bare Deno.serve that returns the same bytes, so the ratio
// shows what our middleware and rendering cost per page. `deno task bench` runs it (about 80 s).
// A second baseline answers with the same body AND the same response headers as our page (copied
// once: CSP, Set-Cookie and the rest, fixed values), which splits the gap into what sending those
// headers costs Deno and what our code costs. The goal is against the first, plain baseline.
//
// Options (environment): BENCH_DURATION seconds per round (default 6), BENCH_ROUNDS per page and
// server (default 2), BENCH_CONNECTIONS (default 32), BENCH_STRICT=1 to exit 1 below the goal.
// Loopback only; every process it starts is stopped before it exits.

import { freePort, type RunningServer, startServer } from "../tests/support/server.ts";

const PAGES = ["/", "/signin"];
const GOAL = 0.6;
const DURATION = positiveInt("BENCH_DURATION", 6);
const ROUNDS = positiveInt("BENCH_ROUNDS", 2);
const CONNECTIONS = positiveInt("BENCH_CONNECTIONS", 32);
const ROOT = new URL("../", import.meta.url).pathname;
const AUTOCANNON = `${ROOT}node_modules/autocannon/autocannon.js`;

function positiveInt(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${raw}`);
  return n;
}

interface Page {
  path: string;
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
  /** Our response's headers as captured (Deno adds date and content-length itself). */
  headers: [string, string][];
}

interface Load {
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  latencyP99: number;
}

/** The autocannon child currently running, so a signal can stop it. */
let running: Deno.ChildProcess | null = null;

/** Drives `url` with autocannon (in Node) for DURATION seconds; returns its averages. */
async function load(url: string, seconds = DURATION): Promise<Load> {
  const child = new Deno.Command("node", {
    args: [AUTOCANNON, "-c", String(CONNECTIONS), "-d", String(seconds), "--json", url],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  running = child;
  const { code, stdout, stderr } = await child.output();
  running = null;
  const text = new TextDecoder().decode(stdout).trim();
  if (code !== 0 || !text) {
    throw new Error(`autocannon exited ${code} for ${url}: ${new TextDecoder().decode(stderr).trim()}`);
  }
  const r = JSON.parse(text.slice(text.indexOf("{")));
  return {
    requestsPerSecond: r.requests.average,
    non2xx: r.non2xx ?? 0,
    errors: (r.errors ?? 0) + (r.timeouts ?? 0),
    latencyP99: r.latency.p99,
  };
}

/** Fetches a page from our server once; fails with a clear message unless it is a 200. */
async function capture(base: string, path: string): Promise<Page> {
  const res = await fetch(`${base}${path}`);
  const body = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) {
    throw new Error(
      `GET ${path} answered ${res.status}, not 200: the page is missing or broken, so it cannot be benchmarked`,
    );
  }
  const headers = [...res.headers].filter(([name]) => name !== "date" && name !== "content-length");
  return { path, body, contentType: res.headers.get("content-type") ?? "application/octet-stream", headers };
}

/** Bare Deno.serve with each page's body; with `sameHeaders`, also our response's headers. */
function startBaseline(pages: Page[], sameHeaders = false): { server: Deno.HttpServer; url: string } {
  const byPath = new Map(pages.map((p) => [p.path, p]));
  const port = freePort();
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, (req) => {
    const page = byPath.get(new URL(req.url).pathname);
    if (!page) return new Response("not found", { status: 404 });
    return new Response(page.body, { headers: sameHeaders ? page.headers : { "content-type": page.contentType } });
  });
  return { server, url: `http://127.0.0.1:${port}` };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

async function main(): Promise<number> {
  try {
    await Deno.stat(AUTOCANNON);
  } catch {
    throw new Error(`autocannon is not installed at ${AUTOCANNON}: run npm install (or npm test) first`);
  }
  const total = PAGES.length * 3 * (ROUNDS * DURATION + 1);
  console.log(
    `bench: ${PAGES.join(", ")} — ours vs bare Deno.serve, ${ROUNDS}×${DURATION} s each, ` +
      `${CONNECTIONS} connections, about ${total} s`,
  );

  let ours: RunningServer | null = null;
  let bare: Deno.HttpServer | null = null;
  let bareHeaders: Deno.HttpServer | null = null;
  const stopAll = async () => {
    running?.kill("SIGTERM");
    await bare?.shutdown();
    bare = null;
    await bareHeaders?.shutdown();
    bareHeaders = null;
    await ours?.stop();
    ours = null;
  };
  const onSignal = () => {
    stopAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);

  try {
    ours = await startServer({ TALKSPACE_LOG: "quiet" });
    // Our server listens on every interface; the load goes to its loopback address only.
    const oursUrl = ours.url.replace("localhost", "127.0.0.1");
    const pages: Page[] = [];
    for (const path of PAGES) pages.push(await capture(oursUrl, path));
    const baseline = startBaseline(pages);
    bare = baseline.server;
    const withHeaders = startBaseline(pages, true);
    bareHeaders = withHeaders.server;

    const rows: { page: Page; ours: Load[]; bare: Load[]; headers: Load[] }[] = [];
    for (const page of pages) {
      // A short warm-up of each, so JIT and connection set-up are not in the first round.
      await load(`${oursUrl}${page.path}`, 1);
      await load(`${baseline.url}${page.path}`, 1);
      await load(`${withHeaders.url}${page.path}`, 1);
      const row = { page, ours: [] as Load[], bare: [] as Load[], headers: [] as Load[] };
      for (let round = 0; round < ROUNDS; round++) {
        row.ours.push(await load(`${oursUrl}${page.path}`));
        row.bare.push(await load(`${baseline.url}${page.path}`));
        row.headers.push(await load(`${withHeaders.url}${page.path}`));
      }
      rows.push(row);
    }

    console.log("");
    const header = [
      "page",
      "bytes",
      "ours req/s",
      "bare req/s",
      "ours ÷ bare",
      "bare+headers req/s",
      "ours ÷ bare+headers",
      "ours p99 ms",
      "bare p99 ms",
    ];
    const table = rows.map(({ page, ours, bare, headers }) => {
      const o = mean(ours.map((l) => l.requestsPerSecond));
      const b = mean(bare.map((l) => l.requestsPerSecond));
      const h = mean(headers.map((l) => l.requestsPerSecond));
      return {
        cells: [
          page.path,
          fmt(page.body.length),
          fmt(o),
          fmt(b),
          (o / b).toFixed(2),
          fmt(h),
          (o / h).toFixed(2),
          Math.max(...ours.map((l) => l.latencyP99)).toFixed(0),
          Math.max(...bare.map((l) => l.latencyP99)).toFixed(0),
        ],
        ratio: o / b,
        bad: [...ours, ...bare, ...headers].reduce((n, l) => n + l.non2xx + l.errors, 0),
      };
    });
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r.cells[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])));
    console.log(line(header).join("  "));
    console.log(widths.map((w) => "-".repeat(w)).join("  "));
    for (const r of table) console.log(line(r.cells).join("  "));
    console.log("");

    let ok = true;
    for (const r of table) {
      if (r.bad > 0) {
        console.log(`bench: ${r.cells[0]} had ${r.bad} non-2xx responses or errors during the load`);
        ok = false;
      }
      if (r.ratio < GOAL) {
        console.log(`bench: ${r.cells[0]} is below the goal (ours ÷ bare ≥ ${GOAL.toFixed(2)})`);
        ok = false;
      }
    }
    if (ok) console.log(`bench: every page meets the goal (ours ÷ bare ≥ ${GOAL.toFixed(2)})`);
    return ok || Deno.env.get("BENCH_STRICT") !== "1" ? 0 : 1;
  } finally {
    await stopAll();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
    Deno.exit(1);
  }
}
