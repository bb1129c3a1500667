// Join benchmark: time from navigation to the first decoded remote video frame for someone joining a
// meeting that has one publisher, in OUR app versus the OFFICIAL Janus VideoRoom demo (Debian's
// janus-demos, videoroomtest.html), measured side by side in one run, alternating, each subscriber
// in a fresh browser context. Goal: ours ≤ 1.1 × the demo (medians; issue 11 tightened it from 1.25).
//
//   deno run -A bench/join.ts
//
// Everything runs inside one throw-away network namespace (Janus never gathers ICE on loopback):
// ours = gateway + its Janus + the web app; the demo = a second, stock-like Janus (VideoRoom and
// WebSockets only, room 1234 from Debian's stock videoroom config, no token auth, no STUN,
// ice_enforce_list = the veth) and the demo's static files from a tiny Deno server, with our own
// settings.js pointing janus.js at that Janus. Headless Chromium (fake camera and microphone) runs
// in the namespace through a wrapper script; a publisher context joins each room first.
//
// What is timed (in the page, wall clock): navigation start (just before page.goto) → the first
// remote video frame presented on a <video> (requestVideoFrameCallback on elements playing a track
// that arrived through an RTCPeerConnection); getStats framesDecoded > 0 is recorded too as a cross-
// check. Ours: the signed-in participant opens the invitation link, the pre-join screen comes up and
// Join is clicked the moment it is enabled. Demo: Start is clicked the moment it works, a name is
// typed and "Join the room" clicked. The part after the last click is reported separately.
//
// Options (environment): BENCH_RUNS measured runs per side (default 7), BENCH_DEMO=mvideoroomtest for
// the multistream demo page, BENCH_TIMEOUT seconds for the whole run (default 600), BENCH_STRICT=1
// to exit 1 when the goal is missed. Needs root (namespaces; installs janus-demos with apt-get when
// missing), Chromium and Janus. Stops every process and the namespace it made, also on failure and
// Ctrl-C.

import type { Browser, BrowserContext, Page } from "playwright-core";
import { createNetNs, netnsAvailability } from "../tests/support/netns.ts";
import type { NetNs } from "../tests/support/netns.ts";
import { browserUnavailable, buildIslands, chromiumInNamespace, launchBrowser } from "../tests/support/browser.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { commandExists, median, percentile, poll, positiveInt, printTable, runBench, track } from "./support/common.ts";
import type { Cleanup, Proc } from "./support/common.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const GOAL = 1.1;
const RUNS = positiveInt("BENCH_RUNS", 7);
const TIMEOUT_S = positiveInt("BENCH_TIMEOUT", 600);
const DEMO_PAGE = Deno.env.get("BENCH_DEMO") === "mvideoroomtest" ? "mvideoroomtest.html" : "videoroomtest.html";
const DEMOS_DIR = "/usr/share/janus/demos";
const JANUS_CONFIGS = "/etc/janus";
/** Per measured join: navigation → first frame must happen within this. */
const JOIN_TIMEOUT_MS = 30_000;

// ---- prerequisites ------------------------------------------------------------------------------

async function prerequisites(): Promise<string | null> {
  const ns = await netnsAvailability();
  if (!ns.ok) return ns.reason;
  const b = browserUnavailable();
  if (b) return b;
  if (!await commandExists("janus", ["--version"])) return "Janus is not installed (apt-get install janus)";
  return await ensureDemos();
}

/** Installs Debian's janus-demos when missing (root only); answers why it cannot otherwise. */
async function ensureDemos(): Promise<string | null> {
  const present = async () => {
    try {
      await Deno.stat(`${DEMOS_DIR}/${DEMO_PAGE}`);
      await Deno.stat(`${DEMOS_DIR}/javascript/janus-gateway/janus.min.js`);
      return true;
    } catch {
      return false;
    }
  };
  if (await present()) return null;
  if (Deno.uid() !== 0) {
    return `the official Janus demos are missing (${DEMOS_DIR}); install them with: apt-get install janus-demos`;
  }
  console.log("bench: installing Debian's janus-demos (apt-get update, apt-get install janus-demos)…");
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "--no-install-recommends", "janus-demos"]]) {
    const out = await new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return `apt-get ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim().slice(-800)}`;
    }
  }
  return await present() ? null : `janus-demos installed but ${DEMOS_DIR}/${DEMO_PAGE} is still missing`;
}

// ---- the in-page probe --------------------------------------------------------------------------

interface Probe {
  pcs: RTCPeerConnection[];
  remoteVideo: Set<string>;
  /** Date.now() of the first remote video frame presented on a <video> (requestVideoFrameCallback). */
  firstFrame: number;
  /** Date.now() when getStats first showed framesDecoded > 0 on an inbound video stream. */
  firstDecoded: number;
  /** Date.now() of the first `track` event carrying remote video. */
  firstTrack: number;
  clicks: { t: number; target: string }[];
}

/** Added to every page before its scripts: watches PeerConnections, remote video and clicks. */
function installProbe() {
  const w = globalThis as unknown as { __bench?: Probe; RTCPeerConnection: typeof RTCPeerConnection };
  if (w.__bench || typeof w.RTCPeerConnection !== "function") return;
  const b: Probe = { pcs: [], remoteVideo: new Set(), firstFrame: 0, firstDecoded: 0, firstTrack: 0, clicks: [] };
  w.__bench = b;
  const Original = w.RTCPeerConnection;
  class Watched extends Original {
    constructor(config?: RTCConfiguration) {
      super(config);
      b.pcs.push(this);
      this.addEventListener("track", (e) => {
        const t = (e as RTCTrackEvent).track;
        if (t.kind !== "video") return;
        b.remoteVideo.add(t.id);
        if (!b.firstTrack) b.firstTrack = Date.now();
      });
    }
  }
  w.RTCPeerConnection = Watched;
  addEventListener("click", (e) => {
    const el = e.target as Element | null;
    b.clicks.push({ t: Date.now(), target: el ? `${el.tagName.toLowerCase()}#${el.id}.${el.className}` : "?" });
  }, true);
  const hooked = new WeakMap<HTMLVideoElement, MediaStream>();
  let statsBusy = false;
  const timer = setInterval(() => {
    if (b.firstFrame && b.firstDecoded) return clearInterval(timer);
    if (!b.remoteVideo.size) return;
    if (!b.firstFrame) {
      for (const v of document.querySelectorAll("video")) {
        const s = v.srcObject;
        if (!(s instanceof MediaStream) || hooked.get(v) === s) continue;
        if (!s.getVideoTracks().some((t) => b.remoteVideo.has(t.id))) continue;
        hooked.set(v, s);
        v.requestVideoFrameCallback(() => {
          if (!b.firstFrame) b.firstFrame = Date.now();
        });
      }
    }
    if (!b.firstDecoded && !statsBusy) {
      statsBusy = true;
      Promise.all(b.pcs.filter((pc) => pc.connectionState !== "closed").map((pc) => pc.getStats()))
        .then((all) => {
          for (const stats of all) {
            stats.forEach((r) => {
              if (r.type === "inbound-rtp" && r.kind === "video" && r.framesDecoded > 0 && !b.firstDecoded) {
                b.firstDecoded = Date.now();
              }
            });
          }
        })
        .catch(() => {})
        .finally(() => statsBusy = false);
    }
  }, 10);
}

type ProbeView = Omit<Probe, "pcs" | "remoteVideo"> & { remoteVideo: number };

const readProbe = (p: Page) =>
  p.evaluate(() => {
    const b = (globalThis as unknown as { __bench?: Probe }).__bench;
    return b
      ? {
        firstFrame: b.firstFrame,
        firstDecoded: b.firstDecoded,
        firstTrack: b.firstTrack,
        clicks: b.clicks,
        remoteVideo: b.remoteVideo.size,
      }
      : null;
  }) as Promise<ProbeView | null>;

/** Whether the page's PeerConnections have encoded and sent video (a publisher is live). */
const sendingVideo = (p: Page) =>
  p.evaluate(async () => {
    const b = (globalThis as unknown as { __bench?: Probe }).__bench;
    for (const pc of b?.pcs ?? []) {
      let ok = false;
      (await pc.getStats()).forEach((r) => {
        if (r.type === "outbound-rtp" && r.kind === "video" && r.framesEncoded > 0) ok = true;
      });
      if (ok) return true;
    }
    return false;
  });

// ---- the demo's Janus -----------------------------------------------------------------------------

/** A stock-like Janus config for the demo: Debian's files, only VideoRoom + WebSockets, no STUN. */
async function writeDemoJanusConfig(dir: string, ns: NetNs, wsPort: number): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  // The stock VideoRoom config, unchanged: room 1234 ("Demo Room") is what the demo joins.
  await Deno.copyFile(`${JANUS_CONFIGS}/janus.plugin.videoroom.jcfg`, `${dir}/janus.plugin.videoroom.jcfg`);
  const stock = await Deno.readTextFile(`${JANUS_CONFIGS}/janus.jcfg`);
  const folder = (key: string, fallback: string) =>
    stock.match(new RegExp(`^\\s*${key}\\s*=\\s*"([^"]+)"`, "m"))?.[1] ??
      fallback;
  const libDir = folder("plugins_folder", "/usr/lib/x86_64-linux-gnu/janus/plugins").replace(/\/plugins$/, "");
  const plugins = ["audiobridge", "duktape", "echotest", "lua", "nosip", "recordplay", "sip", "streaming"]
    .concat(["textroom", "videocall", "voicemail"]).map((p) => `libjanus_${p}.so`).join(",");
  const transports = ["http", "mqtt", "nanomsg", "pfunix", "rabbitmq"].map((t) => `libjanus_${t}.so`).join(",");
  await Deno.writeTextFile(
    `${dir}/janus.jcfg`,
    `# Debian's stock janus.jcfg (no token auth, no api_secret, stock debug level), with only what the
# benchmark needs changed: its own config folder, only VideoRoom + WebSockets, the namespace's veth
# for ICE, no STUN, and an RTP range apart from the other Janus.
general: {
	configs_folder = "${dir}"
	plugins_folder = "${libDir}/plugins"
	transports_folder = "${libDir}/transports"
	events_folder = "${libDir}/events"
	loggers_folder = "${libDir}/loggers"
	debug_level = 4
	admin_secret = "janusoverlord"
}
certificates: {
}
media: {
	rtp_port_range = "32000-32999"
}
nat: {
	nice_debug = false
	ice_enforce_list = "${ns.innerIf}"
}
plugins: {
	disable = "${plugins}"
}
transports: {
	disable = "${transports}"
}
loggers: {
	disable = "libjanus_jsonlog.so"
}
events: {
	broadcast = false
}
`,
  );
  await Deno.writeTextFile(
    `${dir}/janus.transport.websockets.jcfg`,
    `general: {
	json = "indented"
	ws = true
	ws_port = ${wsPort}
	ws_ip = "${ns.innerAddress}"
	wss = false
}
admin: {
	admin_ws = false
	admin_wss = false
}
`,
  );
}

/** Opens a Janus WebSocket and asks `info`; true once it answers with the VideoRoom plugin loaded. */
function janusInfo(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, "janus-protocol");
    const done = (ok: boolean) => {
      clearTimeout(t);
      try {
        ws.close();
      } catch { /* closed */ }
      resolve(ok);
    };
    const t = setTimeout(() => done(false), 2000);
    ws.onopen = () => ws.send(JSON.stringify({ janus: "info", transaction: "bench" }));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      done(m.janus === "server_info" && "janus.plugin.videoroom" in (m.plugins ?? {}));
    };
    ws.onerror = () => done(false);
  });
}

// ---- one run ------------------------------------------------------------------------------------

interface RunResult {
  side: "ours" | "demo";
  /** navigation → first remote frame presented. */
  totalMs: number;
  /** the last join click → first remote frame presented. */
  afterClickMs: number;
  /** navigation → that click. */
  clickMs: number;
  /** navigation → getStats framesDecoded > 0 (cross-check; polled). */
  decodedMs: number;
  /** ours: navigation → Join enabled (before the preview shows). */
  enabledMs?: number;
}

function result(side: RunResult["side"], t0: number, probe: ProbeView, clickAt: number): RunResult {
  const frame = probe.firstFrame || probe.firstDecoded;
  return {
    side,
    totalMs: frame - t0,
    afterClickMs: frame - clickAt,
    clickMs: clickAt - t0,
    decodedMs: probe.firstDecoded ? probe.firstDecoded - t0 : NaN,
  };
}

async function waitForFrame(page: Page, what: string): Promise<ProbeView> {
  return await poll(
    what,
    async () => {
      const p = await readProbe(page);
      return p && p.firstFrame && p.firstDecoded ? p : null;
    },
    JOIN_TIMEOUT_MS,
    100,
  );
}

async function lastClick(page: Page, pattern: RegExp, what: string): Promise<number> {
  const probe = await readProbe(page);
  const click = probe?.clicks.filter((c) => pattern.test(c.target)).at(-1);
  if (!click) throw new Error(`no ${what} click was seen in the page`);
  return click.t;
}

/** Leaves cleanly (unload handlers hang up Janus sessions), then drops the context. */
async function closeContext(context: BrowserContext, page: Page) {
  await page.goto("about:blank", { timeout: 5000 }).catch(() => {});
  await context.close().catch(() => {});
}

// ---- main ---------------------------------------------------------------------------------------

async function main(cleanup: Cleanup): Promise<number> {
  const why = await prerequisites();
  if (why) {
    console.log(`bench: cannot run the join benchmark here: ${why}`);
    return 2;
  }
  console.log(
    `bench: join → first remote frame, ours vs the official Janus demo (${DEMO_PAGE}), ` +
      `1 warm-up + ${RUNS} runs each, alternating`,
  );

  await buildIslands();

  const work = await Deno.makeTempDir({ prefix: "talkspace-bench-join-" });
  cleanup.add("remove the temporary folder", () => Deno.remove(work, { recursive: true }));
  const made = await createNetNs();
  if ("skip" in made) throw new Error(made.skip);
  const ns = made;
  cleanup.add("delete the network namespace", () => ns.destroy());
  const procs: Proc[] = [];
  const spawn = (name: string, cmd: string[], env: Record<string, string> = {}) => {
    const p = track(name, ns.spawn(cmd, { cwd: ROOT, env, stdout: "piped", stderr: "piped" }));
    procs.push(p);
    cleanup.add(`stop ${name}`, () => p.stop());
    return p;
  };
  const failWith = (p: Proc) => (err: Error) => {
    throw new Error(`${err.message}\n--- ${p.name} ---\n${p.output().slice(-3000)}`);
  };

  const ip = ns.innerAddress;
  const gwPort = 18000 + Math.floor(Math.random() * 1000);
  const wsPort = 19000 + Math.floor(Math.random() * 1000);
  const webPort = 20000 + Math.floor(Math.random() * 1000);
  const demoJanusPort = 8188;
  const demoWebPort = 8080;
  const base = `http://${ip}:${webPort}`;
  const demoBase = `http://${ip}:${demoWebPort}`;
  const secret = crypto.randomUUID();

  // Our side: a host (the publisher) and one signed-in member per run, all written into KV first.
  const webData = `${work}/web`;
  await Deno.mkdir(webData);
  const kv = await Deno.openKv(`${webData}/talkspace.kv`);
  const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
  const hostSession = await createSession(kv, host.id, "full", "bench");
  const memberSessions: string[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const u = await createUser(kv, { name: `Member ${i}`, email: `member${i}@example.test`, passwordHash: "x" });
    memberSessions.push((await createSession(kv, u.id, "full", "bench")).token);
  }
  const meeting = await createMeeting(kv, { hostId: host.id });
  kv.close();
  const link = `${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;

  const gateway = spawn("gateway", [Deno.execPath(), "run", "-A", "gateway/main.ts"], {
    TALKSPACE_LOG: "quiet",
    GATEWAY_PORT: String(gwPort),
    GATEWAY_HOST: ip,
    GATEWAY_SECRET: secret,
    JANUS_WS_PORT: String(wsPort),
    JANUS_WS_IP: ip,
    JANUS_WS_URL: `ws://${ip}:${wsPort}/`,
    JANUS_API_URL: `ws://${ip}:${wsPort}/`,
    JANUS_ADMIN_WS_PORT: String(wsPort + 1000),
    JANUS_RTP_PORT_RANGE: "30000-30999",
    JANUS_ICE_ENFORCE_LIST: ns.innerIf,
    JANUS_DEBUG_LEVEL: "4",
    DATA_DIR: `${work}/gateway`,
  });
  const web = spawn("web app", [Deno.execPath(), "run", "-A", "main.ts"], {
    TALKSPACE_ENV: "development",
    TALKSPACE_LOG: "quiet",
    PORT: String(webPort),
    PUBLIC_URL: base,
    DATA_DIR: webData,
    GATEWAY_URL: `http://${ip}:${gwPort}`,
    GATEWAY_SECRET: secret,
    JANUS_WS_URL: `ws://${ip}:${wsPort}/`,
  });

  // The demo's side: a stock-like Janus and the static pages with our settings.js.
  const demoCfg = `${work}/demo-janus`;
  await writeDemoJanusConfig(demoCfg, ns, demoJanusPort);
  const demoJanus = spawn("demo Janus", ["janus", "-C", `${demoCfg}/janus.jcfg`, "-F", demoCfg, "--disable-colors"]);
  const overrides = `${work}/demo-overrides`;
  await Deno.mkdir(overrides);
  await Deno.writeTextFile(
    `${overrides}/settings.js`,
    `// Written by bench/join.ts: the demo Janus in the benchmark's namespace, and no STUN server.\n` +
      `var server = "ws://${ip}:${demoJanusPort}/";\nvar iceServers = [];\nvar token = null;\nvar apisecret = null;\n`,
  );
  const demoWeb = spawn("demo static server", [
    Deno.execPath(),
    "run",
    "-A",
    "bench/support/static_server.ts",
    DEMOS_DIR,
    overrides,
    ip,
    String(demoWebPort),
  ]);

  await poll("the gateway to say janus connected", async () => {
    const res = await fetch(`http://${ip}:${gwPort}/health`);
    return (await res.json()).janus === "connected";
  }, 30_000).catch(failWith(gateway));
  await poll("the web app to answer", async () => {
    const res = await fetch(`${base}/healthz`);
    await res.body?.cancel();
    return res.ok;
  }, 30_000).catch(failWith(web));
  await poll("the demo Janus to answer info", () => janusInfo(`ws://${ip}:${demoJanusPort}/`), 30_000)
    .catch(failWith(demoJanus));
  await poll("the demo pages to be served", async () => {
    const res = await fetch(`${demoBase}/${DEMO_PAGE}`);
    await res.body?.cancel();
    return res.ok;
  }, 30_000).catch(failWith(demoWeb));

  // Chromium inside the namespace (its ICE candidates are then on the veth).
  const browser: Browser = await launchBrowser([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    // getUserMedia needs a secure context; the namespace's addresses are plain http.
    `--unsafely-treat-insecure-origin-as-secure=${base},${demoBase}`,
  ], await chromiumInNamespace(ns.name, work));
  cleanup.add("close Chromium", () => browser.close());
  const consoleLines: string[] = [];
  const newContext = async (sessionToken?: string) => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
    await context.addInitScript(installProbe);
    context.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleLines.push(`console ${m.type()}: ${m.text()}`);
    });
    context.on("weberror", (e) => consoleLines.push(`page error: ${e.error().message}`));
    if (sessionToken) await context.addCookies([{ name: "ts_session", value: sessionToken, url: base }]);
    return { context, page: await context.newPage() };
  };

  // Publishers: the host in our meeting, "publisher" in the demo's room 1234.
  const ourPub = await newContext(hostSession.token);
  await ourPub.page.goto(link);
  await ourPrejoin(ourPub.page);
  await poll("our publisher to send video", () => sendingVideo(ourPub.page), 30_000).catch(async (err) => {
    const state = await ourPub.page.evaluate(() =>
      JSON.stringify((globalThis as unknown as { __talkspace?: { state(): unknown } }).__talkspace?.state() ?? null)
    ).catch((e) => String(e));
    const pcs = await ourPub.page.evaluate(() =>
      (globalThis as unknown as { __bench?: Probe }).__bench?.pcs.map((pc) => pc.connectionState).join(",")
    ).catch((e) => String(e));
    throw new Error(`${err.message}\nstate: ${state}\npeer connections: ${pcs}\n${consoleLines.slice(-30).join("\n")}`);
  });
  const demoPub = await newContext();
  await demoPub.page.goto(`${demoBase}/${DEMO_PAGE}`);
  await demoJoin(demoPub.page, "publisher");
  await poll("the demo publisher to send video", () => sendingVideo(demoPub.page), 30_000).catch(async (err) => {
    const text = await demoPub.page.textContent("body").catch(() => "");
    throw new Error(`${err.message}\n--- demo page ---\n${text?.replace(/\s+/g, " ").slice(0, 1500)}`);
  });

  const runOurs = async (i: number): Promise<RunResult> => {
    const { context, page } = await newContext(memberSessions[i]);
    try {
      const t0 = Date.now();
      await page.goto(link, { waitUntil: "commit" });
      const enabledAt = await ourPrejoin(page);
      const probe = await waitForFrame(page, "our subscriber's first remote frame");
      return { ...result("ours", t0, probe, await lastClick(page, /room-join/, "Join")), enabledMs: enabledAt - t0 };
    } finally {
      await closeContext(context, page);
    }
  };
  const runDemo = async (i: number): Promise<RunResult> => {
    const { context, page } = await newContext();
    try {
      const t0 = Date.now();
      await page.goto(`${demoBase}/${DEMO_PAGE}`, { waitUntil: "commit" });
      await demoJoin(page, `subscriber${i}`);
      const probe = await waitForFrame(page, "the demo subscriber's first remote frame");
      return result("demo", t0, probe, await lastClick(page, /#register\b/, "Join the room"));
    } finally {
      await closeContext(context, page);
    }
  };

  const loadBefore = await loadAverage();
  const results: RunResult[] = [];
  for (let i = 0; i <= RUNS; i++) {
    // Run 0 of each side is a warm-up (JIT, first Janus handles); it is shown but not counted.
    const pair = i % 2 === 0 ? [runOurs, runDemo] : [runDemo, runOurs];
    for (const run of pair) {
      const r = await run(i);
      if (i > 0) results.push(r);
      console.log(
        `  ${i === 0 ? "warm-up" : `run ${i}`.padEnd(7)}  ${r.side}  nav→frame ${r.totalMs} ms` +
          `  (${r.enabledMs !== undefined ? `Join enabled at ${r.enabledMs} ms, ` : ""}click at ${r.clickMs} ms, ` +
          `click→frame ${r.afterClickMs} ms, getStats decoded at ${r.decodedMs} ms)`,
      );
    }
  }
  await closeContext(ourPub.context, ourPub.page);
  await closeContext(demoPub.context, demoPub.page);

  const pick = (side: RunResult["side"], key: keyof Omit<RunResult, "side">) =>
    results.filter((r) => r.side === side).map((r) => r[key] as number);
  const row = (label: string, xs: number[]) => [
    label,
    String(xs.length),
    String(Math.round(median(xs))),
    String(Math.round(percentile(xs, 90))),
    String(Math.min(...xs)),
    String(Math.max(...xs)),
  ];
  console.log("");
  printTable(["ms", "runs", "median", "p90", "min", "max"], [
    row("ours: navigation → first remote frame", pick("ours", "totalMs")),
    row(`demo: navigation → first remote frame`, pick("demo", "totalMs")),
    row("ours: navigation → Join click", pick("ours", "clickMs")),
    row("demo: navigation → 'Join the room' click", pick("demo", "clickMs")),
    row("ours: Join click → first remote frame", pick("ours", "afterClickMs")),
    row("demo: join click → first remote frame", pick("demo", "afterClickMs")),
  ]);
  const ratio = median(pick("ours", "totalMs")) / median(pick("demo", "totalMs"));
  const ratioP90 = percentile(pick("ours", "totalMs"), 90) / percentile(pick("demo", "totalMs"), 90);
  const ratioAfter = median(pick("ours", "afterClickMs")) / median(pick("demo", "afterClickMs"));
  console.log("");
  console.log(`ours ÷ demo, navigation → first frame: median ${ratio.toFixed(2)}, p90 ${ratioP90.toFixed(2)}`);
  console.log(`ours ÷ demo, join click → first frame: median ${ratioAfter.toFixed(2)}`);
  const ok = ratio <= GOAL;
  console.log(
    `load average (1 min) before/after the runs: ${loadBefore} / ${await loadAverage()} on ` +
      `${navigator.hardwareConcurrency} CPUs (other work on the machine makes runs noisier)`,
  );
  console.log(
    ok
      ? `bench: meets the goal (ours ÷ demo ≤ ${GOAL.toFixed(2)})`
      : `bench: MISSES the goal (ours ÷ demo ≤ ${GOAL.toFixed(2)}): ${ratio.toFixed(2)}`,
  );
  return ok || Deno.env.get("BENCH_STRICT") !== "1" ? 0 : 1;
}

/**
 * Our pre-join screen: Join is clicked once it is enabled AND the camera preview shows. Join is
 * enabled at hydration, before getUserMedia answers, and a click that early joins without camera
 * and microphone (nothing is published later), which would neither be what a person does nor a fair
 * comparison with the demo, whose subscriber publishes its camera too. Answers when Join enabled.
 */
async function ourPrejoin(page: Page): Promise<number> {
  await page.waitForSelector("button.room-join:not([disabled])", { timeout: JOIN_TIMEOUT_MS });
  const enabledAt = Date.now();
  await page.waitForSelector("video.room-video", { timeout: JOIN_TIMEOUT_MS });
  await page.click("button.room-join:not([disabled])", { timeout: JOIN_TIMEOUT_MS });
  return enabledAt;
}

async function loadAverage(): Promise<string> {
  return (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ")[0];
}

/** The demo's own flow: Start (once its handler is bound), a name, "Join the room". */
async function demoJoin(page: Page, name: string) {
  // Start's click handler is bound in Janus.init's callback; a click before that does nothing.
  await page.waitForFunction(
    () => {
      const $ = (globalThis as unknown as { jQuery?: { _data(el: Element, what: string): { click?: unknown } } })
        .jQuery;
      const start = document.getElementById("start");
      return !!($ && start && $._data(start, "events")?.click);
    },
    undefined,
    { timeout: JOIN_TIMEOUT_MS, polling: "raf" },
  );
  await page.click("#start", { timeout: JOIN_TIMEOUT_MS });
  await page.fill("#username", name, { timeout: JOIN_TIMEOUT_MS });
  await page.click("#register", { timeout: JOIN_TIMEOUT_MS });
}

if (import.meta.main) await runBench(main, TIMEOUT_S);
