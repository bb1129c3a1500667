// The end-to-end meeting stack for browser tests: a network namespace (Janus never gathers ICE on
// loopback) with the real gateway (and its Janus), the web app and headless Chromium inside it,
// one browser context per participant, the `window.__talkspace` hook, and teardown of all of it.
// Used by tests/meeting_media_test.ts and tests/meeting_controls_e2e_test.ts.

import type { Store } from "../../lib/common/store.ts";
import { signedHeaders } from "../../lib/common/signing.ts";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createNetNs, netnsAvailability } from "./netns.ts";
import type { NetNs } from "./netns.ts";
import { browserUnavailable, buildIslands, chromiumInNamespace } from "./browser.ts";
import type { MediaStats } from "../../lib/meetings/client/stats.ts";
import { poll } from "./wait.ts";
import { createUser } from "../../lib/accounts/users.ts";
import { createSession } from "../../lib/accounts/sessions.ts";
import { createMeeting } from "../../lib/meetings/store.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Why the stack cannot run here (not root, no Chromium, no Janus), or null. */
export async function meetingStackUnavailable(): Promise<string | null> {
  const ns = await netnsAvailability();
  if (!ns.ok) return ns.reason;
  const b = browserUnavailable();
  if (b) return b;
  try {
    await new Deno.Command("janus", { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch {
    return "Janus is not installed (apt-get install janus)";
  }
  return null;
}

export { poll };

export interface Proc {
  child: Deno.ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function spawnIn(ns: NetNs, args: string[], env: Record<string, string>): Proc {
  const child = ns.spawn([Deno.execPath(), ...args], { cwd: ROOT, env, stdout: "piped", stderr: "piped" });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) out += chunk;
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  return {
    child,
    output: () => out,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const t = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
      await status;
      clearTimeout(t);
      await pumps;
    },
  };
}

/** The snapshot `window.__talkspace.state()` returns (the parts tests read). */
export type RoomState = Record<string, unknown> & {
  phase: string;
  participantId: string | null;
  /** This browser's VideoRoom feed id (null before it has media). */
  feedId: number | null;
  socket: string;
  media: string;
  banner: string | null;
  closedReason: string;
  audioMuted: boolean;
  notices: string[];
  participants: {
    participantId: string;
    name: string;
    role: string;
    state: { audio: boolean; video: boolean; screen: boolean };
  }[];
};

type Hook = {
  state(): RoomState;
  stats(): Promise<MediaStats | null>;
  sendRaw(msg: Record<string, unknown>): boolean;
  dropConnections(): void;
  [k: string]: unknown;
};

/** The in-meeting state of a page (through the test hook). */
export const roomState = (p: Page) =>
  p.evaluate(() => (globalThis as unknown as { __talkspace: Hook }).__talkspace.state());

/** Sends a meeting-socket message as the page's participant, unchecked by the UI (host actions). */
export const roomSendRaw = (p: Page, msg: Record<string, unknown>) =>
  p.evaluate((m) => (globalThis as unknown as { __talkspace: Hook }).__talkspace.sendRaw(m), msg);

/** WebRTC stats of a page, by participant. */
export const roomStats = (p: Page) =>
  p.evaluate(() => (globalThis as unknown as { __talkspace: Hook }).__talkspace.stats()) as Promise<MediaStats>;

/** The browser context's screen: size, and a phone's touch and mobile viewport. */
export interface PageDevice {
  viewport: { width: number; height: number };
  isMobile?: boolean;
  hasTouch?: boolean;
}

/** A phone as the issue-13 checks use it (an iPhone 12-sized touch viewport). */
export const PHONE: PageDevice = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

export interface MeetingStack {
  ns: NetNs;
  /** http://<namespace address>:<port> of the web app. */
  base: string;
  ip: string;
  gatewayUrl: string;
  janusWsUrl: string;
  secret: string;
  web: Proc;
  gateway: Proc;
  browser: Browser;
  /**
   * A fresh browser context (one participant), optionally signed in with a session token; 1000×700
   * unless `device` says otherwise (e.g. a 390×844 touch phone).
   */
  newPage(sessionToken?: string, device?: PageDevice): Promise<Page>;
  /** Console warnings/errors and page errors of every page, for failure messages. */
  consoleLines: string[];
  timings: Record<string, number>;
  /** The stack's temporary directory (removed by stop()). */
  dataDir: string;
  /** A signed request to the gateway's internal API (as the web app sends them). */
  gatewayRequest(method: string, path: string, body?: unknown): Promise<Response>;
  /** Another process of the test (e.g. a SIP phone), stopped first at teardown and shown in dump(). */
  track(p: Proc): void;
  /** Process output and browser console, for a failing test's message. */
  dump(): string;
  /** Stops Chromium, the web app and the gateway, and deletes the namespace and data. */
  stop(): Promise<void>;
}

/**
 * Starts the whole stack. `seed` writes accounts and meetings into the web app's KV before the web
 * app starts (it gets the KV and returns whatever the test needs). Everything started so far is
 * stopped again when a step fails.
 */
export interface StackOptions {
  /** Names the temporary directory. */
  tag?: string;
  /** More Chromium flags (e.g. a fake microphone file). */
  chromiumArgs?: string[];
  /** More gateway environment, given the namespace address and the web app's base URL (e.g. SIP). */
  gatewayEnv?: (at: { ip: string; base: string }) => Record<string, string>;
  /** Keep the gateway's and web app's info logs (for tests whose failures need them). */
  verbose?: boolean;
}

export async function startMeetingStack<T>(
  seed: (kv: Store) => Promise<T>,
  opts: StackOptions = {},
): Promise<{ stack: MeetingStack; seeded: T }> {
  const t0 = performance.now();
  const ns = await createNetNs();
  if ("skip" in ns) throw new Error(ns.skip);
  const procs: Proc[] = [];
  const extra: Proc[] = [];
  let browser: Browser | null = null;
  const contexts: BrowserContext[] = [];
  const dataDir = await Deno.makeTempDir({ prefix: `talkspace-${opts.tag ?? "meeting"}-e2e-` });
  const consoleLines: string[] = [];
  const timings: Record<string, number> = {};
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const p of extra) await p.stop().catch(() => {});
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close().catch(() => {});
    for (const p of [...procs].reverse()) await p.stop().catch(() => {});
    await ns.destroy();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  };
  const dump = () =>
    [
      ...procs.map((p, i) => `--- ${i === 0 ? "gateway" : "web"} output ---\n${p.output().slice(-6000)}`),
      ...extra.map((p) => `--- test process output ---\n${p.output().slice(-6000)}`),
      `--- browser console ---\n${consoleLines.slice(-80).join("\n")}`,
    ].join("\n");
  try {
    await buildIslands();

    const secret = crypto.randomUUID();
    const ip = ns.innerAddress;
    // Ports inside a fresh namespace are all free.
    // Four ranges that never meet: Janus's admin API takes wsPort + 1000 (20000–20999), so the web app
    // lives above it (a fresh-clone run drew the same port for both: the web app's AddrInUse).
    const gwPort = 18000 + Math.floor(Math.random() * 1000);
    const wsPort = 19000 + Math.floor(Math.random() * 1000);
    const webPort = 21000 + Math.floor(Math.random() * 1000);
    const base = `http://${ip}:${webPort}`;
    const gatewayUrl = `http://${ip}:${gwPort}`;
    const janusWsUrl = `ws://${ip}:${wsPort}/`;

    const webData = `${dataDir}/web`;
    await Deno.mkdir(webData);
    const kv = await Deno.openKv(`${webData}/talkspace.kv`);
    let seeded: T;
    try {
      seeded = await seed(kv);
    } finally {
      kv.close();
    }

    const gateway = spawnIn(ns, ["run", "-A", "gateway/main.ts"], {
      TALKSPACE_LOG: opts.verbose ? "" : "quiet",
      GATEWAY_PORT: String(gwPort),
      GATEWAY_HOST: ip,
      GATEWAY_SECRET: secret,
      JANUS_WS_PORT: String(wsPort),
      JANUS_WS_IP: ip,
      JANUS_WS_URL: janusWsUrl,
      JANUS_API_URL: janusWsUrl,
      JANUS_ADMIN_WS_PORT: String(wsPort + 1000),
      JANUS_RTP_PORT_RANGE: "30000-30999",
      JANUS_ICE_ENFORCE_LIST: ns.innerIf,
      JANUS_DEBUG_LEVEL: "3",
      DATA_DIR: `${dataDir}/gateway`,
      ...opts.gatewayEnv?.({ ip, base }),
    });
    procs.push(gateway);
    // Generous: the gateway also prepares spoken prompts when SIP is on.
    await poll("the gateway to say janus connected", async () => {
      const res = await fetch(`${gatewayUrl}/health`);
      return (await res.json()).janus === "connected";
    }, 60_000);
    timings.gatewayReadyMs = performance.now() - t0;

    const web = spawnIn(ns, ["run", "-A", "main.ts"], {
      TALKSPACE_ENV: "development",
      PORT: String(webPort),
      PUBLIC_URL: base,
      DATA_DIR: webData,
      GATEWAY_URL: gatewayUrl,
      GATEWAY_SECRET: secret,
      // The same URL the gateway hands out: the meeting page's CSP allows exactly this origin.
      JANUS_WS_URL: janusWsUrl,
    });
    procs.push(web);
    await poll("the web app to answer", async () => {
      const res = await fetch(`${base}/healthz`);
      await res.body?.cancel();
      return res.ok;
    }, 30_000);

    // Chromium runs inside the namespace through a wrapper, so its ICE candidates are on the veth.
    browser = await chromium.launch({
      executablePath: await chromiumInNamespace(ns.name, dataDir),
      headless: true,
      // Playwright's own handlers would exit before this stack's cleanup runs (see browser.ts).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--auto-select-desktop-capture-source=Entire screen",
        "--autoplay-policy=no-user-gesture-required",
        // getUserMedia needs a secure context; the namespace's address is plain http.
        `--unsafely-treat-insecure-origin-as-secure=${base}`,
        ...(opts.chromiumArgs ?? []),
      ],
    });
    const b = browser;
    const newPage = async (sessionToken?: string, device?: PageDevice) => {
      const context = await b.newContext(device ?? { viewport: { width: 1000, height: 700 } });
      contexts.push(context);
      if (sessionToken) await context.addCookies([{ name: "ts_session", value: sessionToken, url: base }]);
      const page = await context.newPage();
      const n = contexts.length;
      page.on("pageerror", (e) => consoleLines.push(`[page ${n}] page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "warning" || m.type() === "error") consoleLines.push(`[page ${n}] ${m.type()}: ${m.text()}`);
      });
      return page;
    };
    const gatewayRequest = async (method: string, path: string, body?: unknown) => {
      const text = body === undefined ? "" : JSON.stringify(body);
      const headers = signedHeaders(secret, method, path, text);
      return await fetch(`${gatewayUrl}${path}`, {
        method,
        headers: { ...headers, ...(text ? { "content-type": "application/json" } : {}) },
        body: text || undefined,
      });
    };
    return {
      stack: {
        ns,
        base,
        ip,
        gatewayUrl,
        janusWsUrl,
        secret,
        web,
        gateway,
        browser: b,
        newPage,
        consoleLines,
        timings,
        dataDir,
        gatewayRequest,
        track: (p: Proc) => void extra.push(p),
        dump,
        stop,
      },
      seeded,
    };
  } catch (err) {
    const text = dump();
    await stop();
    throw new Error(`${(err as Error).message}\n${text}`);
  }
}

/** Waits for the pre-join screen and its camera preview. */
export async function waitForPreJoin(page: Page, who: string) {
  await page.waitForSelector("button.room-join:not([disabled])", { timeout: 20_000 }).catch((err) => {
    throw new Error(`${who}: no pre-join screen (is MeetingRoom rendered on /m/:id?): ${err.message}`);
  });
  await poll(`${who}'s camera preview`, () => page.evaluate(() => !!document.querySelector("video.room-video")));
}

/**
 * Waits for the pre-join of someone not let in yet (a guest's name form): the form and, beside it,
 * the island's camera preview, hydrated (its toggles enabled).
 */
export async function waitForEntryPreview(page: Page, who: string) {
  await page.waitForSelector("form.room-entry-form", { timeout: 20_000 }).catch((err) => {
    throw new Error(`${who}: no entry form with the pre-join beside it: ${err.message}`);
  });
  await page.waitForSelector("[data-action=prejoin-camera]:not([disabled])", { timeout: 20_000 });
  await poll(`${who}'s camera preview`, () => page.evaluate(() => !!document.querySelector("video.room-video")));
}

/** Waits until the page is in the meeting with media connected; answers its state. */
export async function waitInMeeting(page: Page, who: string, ms = 30_000): Promise<RoomState> {
  let last: unknown = null;
  return await poll(`${who} to be in the meeting with media connected`, async () => {
    const s = await roomState(page);
    last = s;
    return s.phase === "meeting" && s.media === "connected" && s.participantId ? s : null;
  }, ms).catch((err) => {
    throw new Error(`${err.message}\nstate: ${JSON.stringify(last)}`);
  });
}

/** Waits until `page` decodes video and receives audio from `participantId`, and both keep growing. */
export async function waitForFlow(page: Page, participantId: string, what: string, ms = 30_000) {
  const before = await poll(`${what}: first video and audio`, async () => {
    const s = (await roomStats(page)).inbound[participantId];
    return s && s.framesDecoded > 0 && s.audioBytes > 0 ? s : null;
  }, ms);
  await poll(`${what}: video and audio keep flowing`, async () => {
    const s = (await roomStats(page)).inbound[participantId];
    return s.framesDecoded > before.framesDecoded && s.videoBytes > before.videoBytes &&
      s.audioBytes > before.audioBytes;
  }, ms);
}

/** Waits until the inbound audio bytes `page` receives from `participantId` stop growing (4 polls). */
export async function waitForAudioStopped(page: Page, participantId: string, what: string, ms = 15_000) {
  let prev = -1;
  let still = 0;
  return await poll(`${what}: inbound audio to stop growing`, async () => {
    const bytes = (await roomStats(page)).inbound[participantId]?.audioBytes ?? 0;
    still = bytes === prev ? still + 1 : 0;
    prev = bytes;
    return still >= 4 ? { bytes } : null; // unchanged across 4 polls of 250 ms
  }, ms);
}

/**
 * The seed most meeting tests start from: a host and a signed-in member (sessions for their
 * browsers) and the host's meeting (guests wait in the lobby, signed-in people come straight in).
 */
export async function seedHostAndMember(kv: Store, title: string) {
  const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
  const member = await createUser(kv, { name: "Pat Member", email: "pat@example.test", passwordHash: "x" });
  return {
    hostSession: await createSession(kv, host.id, "full", "e2e"),
    memberSession: await createSession(kv, member.id, "full", "e2e"),
    meeting: await createMeeting(kv, { hostId: host.id, title }),
  };
}
