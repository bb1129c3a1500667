// SIP benchmark with the REAL web app, the REAL gateway process with its Janus and SIP, and raw
// SIP/RTP callers written here (bench/support/sip_phone.ts).
//
//   deno run -A bench/sip.ts
//
// (a) Call setup, full stack on loopback (tests/support/server.ts, tests/support/gateway.ts): INVITE sent →
//     200 OK received, median and p95 over BENCH_SIP_CALLS (50) sequential calls into a meeting that
//     already has one caller (so the bridge is live), next to the floor measured in the same run,
//     alternating: a plain-RTP participant AudioBridge `join` request → its answer, with janode
//     through the gateway's JanusLink against the SAME Janus (bench/support/sip_floor.ts).
//     Goal: median ≤ 2 × the floor's median. The loopback stack is stopped before (b).
// (b) Load with one browser: the meeting stack of the browser tests (tests/support/meeting_harness.ts:
//     gateway + Janus + web app + headless Chromium in a network namespace; the gateway's SIP and
//     relay on the namespace's 127.0.0.1). Chromium joins the meeting through the web app as its host,
//     its fake microphone playing a 1 kHz tone pulsed 500 ms on / 500 ms off (pulsed, so Chromium's
//     noise suppression does not learn it away); then BENCH_SIP_CALLERS (50) concurrent G.711 (PCMU,
//     20 ms) callers dial in from a child process of this script inside the namespace
//     (BENCH_SIP_ROLE=callers, driven over its stdin/stdout) and are held for BENCH_SIP_SECONDS (60).
//     Caller 1 sends a 440 Hz tone, the others silence. Checked over the held period:
//     - every caller receives the bridge's RTP all along; every other caller hears caller 1's 440 Hz
//       (Goertzel component of the loudest packet of each second > −25 dBov) and every caller hears
//       the browser's 1 kHz (same, > −30 dBov), so the browser's tone reaching the phones can fail;
//     - the browser receives the callers' mix on the "Phone participants" feed: getStats of its
//       inbound audio, sampled each second: bytes grow and the mean level of each second (from
//       totalAudioEnergy) is > −30 dBFS, plus its packetsLost and jitter;
//     - packet loss per call from the gateway's relay stats (GET /internal/calls?meetingId=, signed)
//       diffed over the period, plus sequence gaps seen by the callers;
//     - CPU of Janus, the gateway, the web app, Chromium (all its processes), the callers' process
//       and this script from /proc/<pid>/stat (utime+stime) over the period.
//     Goal: all held, both tones heard by everyone every second, the browser hears the mix every
//     second, no packet loss. Needs root (network namespaces) and Chromium; skipped otherwise.
//
// Options: BENCH_SIP_PARTS (ab; "a" or "b" runs one part), BENCH_SIP_CALLS, BENCH_SIP_CALLERS,
// BENCH_SIP_SECONDS, BENCH_TIMEOUT (seconds, whole run, default 900), BENCH_STRICT=1 (exit 1 when a
// goal is missed). Needs janus, espeak-ng, sox.

import type { Page } from "playwright-core";
import { setQuiet } from "../lib/common/log.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting, type Meeting } from "../lib/meetings/store.ts";
import { freePort } from "../tests/support/gateway.ts";
import { decodeG711 } from "../gateway/rtp/g711.ts";
import { parseRtp } from "../gateway/rtp/packet.ts";
import { startLoopbackSipStack } from "../tests/support/sip_stack.ts";
import {
  meetingStackUnavailable,
  roomStats,
  startMeetingStack,
  waitForPreJoin,
  waitInMeeting,
} from "../tests/support/meeting_harness.ts";
import { goertzel, toneWav } from "../tests/support/baresip.ts";
import { descendants, exePath } from "../tests/support/proc_tree.ts";
import type { NetNs } from "../tests/support/netns.ts";
import type { CallInfo } from "../gateway/calls/controller.ts";
import { Cleanup, commandExists, median, percentile, poll, positiveInt, printTable, track } from "./support/common.ts";
import { cpuSeconds, Pacer, RawPhone, toneFrames } from "./support/sip_phone.ts";
import { AudioBridgeFloor } from "./support/sip_floor.ts";

const PARTS = Deno.env.get("BENCH_SIP_PARTS") || "ab";
const CALLS = positiveInt("BENCH_SIP_CALLS", 50);
const CALLERS = positiveInt("BENCH_SIP_CALLERS", 50);
const SECONDS = positiveInt("BENCH_SIP_SECONDS", 60);
const TIMEOUT_S = positiveInt("BENCH_TIMEOUT", 900);
const STRICT = Deno.env.get("BENCH_STRICT") === "1";
const GOAL_RATIO = 2;
const TONE_DBOV = -25;
/** Caller 1's tone (bench/support/sip_phone.ts's toneFrames) and the browser's. */
const TONE_HZ = 440;
const BROWSER_HZ = 1000;
/** The browser's tone at a caller: its 1 kHz component in the loudest packet of a second. */
const BROWSER_TONE_DBOV = -30;
/** The mix at the browser: the mean level of a second from getStats' totalAudioEnergy (peak-based). */
const BROWSER_MIX_DBFS = -30;
/** The VideoRoom remote publisher carrying the bridge's mix of callers (gateway/bridge/bridge.ts). */
const PHONE_FEED = "Phone participants";
const ROOT = new URL("../", import.meta.url).pathname;

const ms = (n: number) => n.toFixed(1);
const db = (n: number) => n.toFixed(1);

async function calls(
  gw: { request(method: string, path: string): Promise<Response> },
  meetingId: string,
): Promise<CallInfo[]> {
  const res = await gw.request("GET", `/internal/calls?meetingId=${meetingId}`);
  if (res.status !== 200) throw new Error(`GET /internal/calls answered ${res.status}`);
  return (await res.json()).calls;
}

/** utime+stime of every Chromium process under this one, by PID. */
function chromiumCpu(): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of descendants(Deno.pid)) {
    if (!/\/chromium\//.test(exePath(pid) ?? "")) continue;
    const s = cpuSeconds(pid);
    if (s !== null) out.set(pid, s);
  }
  return out;
}

/** The level (dBov) of the `hz` component of 8 kHz samples (Goertzel, tests/support/baresip.ts). */
function componentDbov(samples: Int16Array, hz: number): number {
  const g = goertzel(samples, 8000, hz);
  const power = g.rms * g.rms * g.share;
  return power > 0 ? Math.max(-127, 10 * Math.log10(power)) : -127;
}

function keepMax(m: Map<number, number>, key: number, value: number) {
  const prev = m.get(key);
  if (prev === undefined || value > prev) m.set(key, value);
}

/** A bench caller that also keeps, per whole second, the loudest 440 Hz and 1 kHz components it received. */
class ListeningPhone extends RawPhone {
  readonly toneBySecond = new Map<number, number>();
  readonly browserBySecond = new Map<number, number>();

  protected override onRtp(data: Uint8Array) {
    super.onRtp(data);
    const p = parseRtp(data);
    if (!p || p.payloadType !== 0 || p.payload.length === 0) return;
    const pcm = decodeG711("pcmu", p.payload);
    const sec = Math.floor((performance.now() - this.levelEpoch) / 1000);
    keepMax(this.toneBySecond, sec, componentDbov(pcm, TONE_HZ));
    keepMax(this.browserBySecond, sec, componentDbov(pcm, BROWSER_HZ));
  }

  /** Share of the whole seconds within [t0, t1] whose value was above `dbov`, and their median value. */
  seconds(bySecond: Map<number, number>, t0: number, t1: number, dbov: number) {
    const first = Math.ceil((t0 - this.levelEpoch) / 1000), last = Math.floor((t1 - this.levelEpoch) / 1000) - 1;
    const levels: number[] = [];
    for (let s = first; s <= last; s++) levels.push(bySecond.get(s) ?? -127);
    const yes = levels.filter((l) => l > dbov).length;
    return { fraction: levels.length ? yes / levels.length : 0, medianDbov: levels.length ? median(levels) : -127 };
  }
}

interface CallerResult {
  callId: string;
  received: number;
  gaps: number;
  sent: number;
  sendErrors: number;
  bye: boolean;
  /** Caller 1's tone at this caller (null for caller 1). */
  tone: { fraction: number; medianDbov: number } | null;
  browser: { fraction: number; medianDbov: number };
}

type CallersCommand = { id: number; cmd: string; sipPort?: number; dial?: string; callers?: number };

/**
 * The (b) callers as a child process (BENCH_SIP_ROLE=callers), started inside the meeting stack's
 * network namespace so the raw phones' 127.0.0.1 is the gateway's. One JSON command a line on stdin;
 * each answered with a line `@@<id> <JSON>` on stdout. Ends at `exit` or when stdin closes.
 */
async function callersMain(): Promise<number> {
  setQuiet(true);
  const phones: ListeningPhone[] = [];
  const pacer = new Pacer([]);
  let t0 = 0;
  let rx0: { received: number; gaps: number; sent: number; sendErrors: number }[] = [];
  const handle = async (m: CallersCommand): Promise<unknown> => {
    switch (m.cmd) {
      case "dial": {
        const tone = toneFrames();
        const setupMs: number[] = [];
        for (let i = 0; i < (m.callers ?? 0); i++) {
          const p = new ListeningPhone(m.sipPort!, i === 0 ? "Tone Caller" : `Caller ${i + 1}`);
          phones.push(p);
          if (i === 0) p.frames = tone;
          const r = await p.invite(m.dial!);
          if (r.status !== 200) throw new Error(`load call ${i} answered ${r.status}`);
          setupMs.push(r.ms);
          p.startSending();
          pacer.phones.push(p);
        }
        return { setupMs };
      }
      case "status":
        return {
          receiving: phones.filter((p) => p.received > 0).length,
          byes: phones.filter((p) => p.byeReceived).length,
        };
      case "start":
        t0 = performance.now();
        rx0 = phones.map((p) => ({ received: p.received, gaps: p.gaps, sent: p.sent, sendErrors: p.sendErrors }));
        return {};
      case "stop": {
        const t1 = performance.now();
        const callers: CallerResult[] = phones.map((p, i) => ({
          callId: p.callId,
          received: p.received - rx0[i].received,
          gaps: p.gaps - rx0[i].gaps,
          sent: p.sent - rx0[i].sent,
          sendErrors: p.sendErrors - rx0[i].sendErrors,
          bye: p.byeReceived,
          tone: i === 0 ? null : p.seconds(p.toneBySecond, t0, t1, TONE_DBOV),
          browser: p.seconds(p.browserBySecond, t0, t1, BROWSER_TONE_DBOV),
        }));
        return { seconds: (t1 - t0) / 1000, callers };
      }
      case "hangup":
        pacer.stop();
        for (const p of phones) await p.bye().catch(() => {});
        return {};
      case "exit":
        return {};
      default:
        throw new Error(`unknown command ${m.cmd}`);
    }
  };
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  read: while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const m = JSON.parse(line) as CallersCommand;
      let answer: unknown;
      try {
        answer = await handle(m);
      } catch (err) {
        answer = { error: err instanceof Error ? err.message : String(err) };
      }
      console.log(`@@${m.id} ${JSON.stringify(answer)}`);
      if (m.cmd === "exit") break read;
    }
  }
  pacer.stop();
  for (const p of phones) await p.close().catch(() => {});
  return 0;
}

// --- (a) call setup, on loopback -----------------------------------------------------------------

async function partA(cleanupAll: Cleanup): Promise<boolean> {
  // Its own cleanup list, run at the end of (a) (or by the whole run's on failure or a deadline).
  const cleanup = new Cleanup();
  cleanupAll.add("stop part (a)'s stack", () => cleanup.run());
  const phones: RawPhone[] = [];
  try {
    // --- the stack ---------------------------------------------------------------------------------
    const adminWsPort = freePort();
    const janusBase = 20000 + Math.floor(Math.random() * 10) * 2000;
    const stack = await startLoopbackSipStack({
      rtpBase: 50000,
      rtpPorts: 500,
      rtpBlocks: 20,
      gatewayEnv: {
        JANUS_ADMIN_WS_PORT: String(adminWsPort),
        // The AudioBridge takes its plain-RTP ports from this range too, and they are not all back
        // right after a leave: startGateway's default 100 ports ran out after ~100 joins in this bench.
        JANUS_RTP_PORT_RANGE: `${janusBase}-${janusBase + 1999}`,
        TALKSPACE_LOG: "quiet",
      },
    });
    cleanup.add("stop the gateway, the web app and the KV", () => stack.stop());
    const { gw, web, kv } = stack;
    const sipPort = gw.sipPort;
    const host = await createUser(kv, { name: "Host Hanna", email: "hanna@example.org", passwordHash: "unused" });
    const meeting = (title: string) => createMeeting(kv, { hostId: host.id, title, settings: { lobby: false } });
    const dial = (m: Meeting) => `${m.meetingId}*${m.passcode}`;
    const janusPid = await gw.janusPid();
    if (!janusPid) throw new Error("no Janus pid file");
    console.log(
      `bench: web pid ${web.pid}, gateway pid ${gw.pid}, janus pid ${janusPid}, bench pid ${Deno.pid}; ` +
        `cores ${navigator.hardwareConcurrency}, load ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );

    const floor = new AudioBridgeFloor({
      apiUrl: gw.janusWsUrl,
      adminUrl: `ws://127.0.0.1:${adminWsPort}/`,
      adminSecret: gw.adminSecret,
      adminKey: gw.adminKey,
    });
    await floor.start();
    cleanup.add("stop the floor's janode link", () => floor.stop());

    const newPhone = (display?: string) => {
      const p = new RawPhone(sipPort, display);
      phones.push(p);
      return p;
    };

    // --- (a) call setup -------------------------------------------------------------------------------
    const setupMeeting = await meeting("Setup timing");
    const anchor = newPhone("Anchor");
    const anchorSetup = await anchor.invite(dial(setupMeeting));
    if (anchorSetup.status !== 200) throw new Error(`anchor call answered ${anchorSetup.status}`);
    anchor.startSending();
    const pacerA = new Pacer([anchor]);
    await poll(
      "the anchor in the bridge",
      async () =>
        (await calls(gw, setupMeeting.meetingId)).find((c) => c.sipCallId === anchor.callId && c.phase === "in-bridge"),
    );
    // Warm-up (JIT, connections): 3 of each, not counted.
    for (let i = 0; i < 3; i++) await floor.sample(-1 - i);
    const invite: number[] = [], toAudio: number[] = [], gwSetup: number[] = [];
    const floorJoin: number[] = [], floorAttach: number[] = [];
    const timed = async (i: number, count: boolean) => {
      const p = newPhone(`Setup ${i}`);
      const r = await p.invite(dial(setupMeeting));
      if (r.status !== 200) throw new Error(`call ${i} answered ${r.status}`);
      p.startSending();
      pacerA.phones.push(p);
      const audioAt = await poll("the bridge's RTP at the caller", () => p.firstRtpAt || null, 5_000, 2).catch(
        async (err) => {
          const info = (await calls(gw, setupMeeting.meetingId)).find((c) => c.sipCallId === p.callId);
          throw new Error(`${err.message}; call ${i}: ${JSON.stringify(info)}; sent ${p.sent}`);
        },
      );
      const info = (await calls(gw, setupMeeting.meetingId)).find((c) => c.sipCallId === p.callId);
      if (count) {
        invite.push(r.ms);
        toAudio.push(audioAt - r.sentAt);
        if (info?.setupMs != null) gwSetup.push(info.setupMs);
      }
      await p.bye();
      pacerA.phones.splice(pacerA.phones.indexOf(p), 1);
      await p.close();
      phones.splice(phones.indexOf(p), 1);
      await poll(
        "the call gone",
        async () => !(await calls(gw, setupMeeting.meetingId)).some((c) => c.sipCallId === p.callId),
        10_000,
        20,
      );
    };
    for (let i = 0; i < 3; i++) await timed(-1 - i, false);
    console.log(`bench: (a) ${CALLS} sequential calls, alternating with ${CALLS} floor joins…`);
    const failures: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      await timed(i, true).catch((err) => failures.push(`call ${i}: ${(err as Error).message}`));
      const f = await floor.sample(i).catch((err) => (failures.push(`floor ${i}: ${(err as Error).message}`), null));
      if (f) {
        floorJoin.push(f.joinMs);
        floorAttach.push(f.attachMs);
      }
    }
    for (const p of [...pacerA.phones]) if (p !== anchor) await p.close();
    pacerA.phones.splice(0, pacerA.phones.length, anchor);
    pacerA.stop();
    await anchor.bye();

    const row = (name: string, xs: number[]) => [name, ms(median(xs)), ms(percentile(xs, 95)), ms(Math.max(...xs))];
    console.log(`\n(a) call setup, ${CALLS} sequential calls (bridge already live), ms; ${failures.length} failed`);
    for (const f of failures) console.log(`  failed: ${f.slice(0, 400)}`);
    printTable(["", "median", "p95", "max"], [
      row("INVITE sent → 200 OK received (full stack)", invite),
      row("  gateway's own INVITE → 200 (setupMs)", gwSetup),
      row("INVITE sent → first bridge RTP at caller", toAudio),
      row("floor: AudioBridge plain-RTP join → answer", floorJoin),
      row("  floor: attach a handle (not in the floor)", floorAttach),
      row("  floor: attach + join", floorAttach.map((a, i) => a + floorJoin[i])),
    ]);
    const ratio = median(invite) / median(floorJoin);
    const ratioP95 = percentile(invite, 95) / percentile(floorJoin, 95);
    const okA = ratio <= GOAL_RATIO;
    console.log(
      `ratio INVITE→200 ÷ join: median ${ratio.toFixed(2)}, p95 ${ratioP95.toFixed(2)} ` +
        `(goal median ≤ ${GOAL_RATIO}: ${okA ? "met" : "MISSED"})`,
    );

    return okA;
  } finally {
    for (const p of phones) await p.close().catch(() => {});
    await cleanup.run();
  }
}

// --- (b) load, with one browser ------------------------------------------------------------------

/** Counters of the browser's received audio (all inbound-rtp audio of its PeerConnections) and sent audio. */
interface RawAudioStats {
  peerConnections: number;
  streams: number;
  bytes: number;
  packets: number;
  lost: number;
  jitterMs: number;
  energy: number;
  duration: number;
  concealed: number;
  samples: number;
  sentBytes: number;
}

interface BrowserSample {
  at: number;
  /** The hook's summary of the phone feed (null while the browser has none). */
  feed: { audioBytes: number; audioPackets: number; audioLevel: number } | null;
  raw: RawAudioStats;
  /** The hook's summary of what the browser publishes (its camera). */
  video: { bytes: number; frames: number };
}

/** Installed before the page loads: keeps every RTCPeerConnection the page makes, for getStats. */
function capturePeerConnections() {
  const g = globalThis as unknown as { RTCPeerConnection: typeof RTCPeerConnection; __benchPcs: RTCPeerConnection[] };
  const Native = g.RTCPeerConnection;
  const pcs: RTCPeerConnection[] = [];
  g.__benchPcs = pcs;
  g.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      pcs.push(this);
    }
  };
}

/** Runs in the page. */
async function rawAudioStats(): Promise<RawAudioStats> {
  const pcs = (globalThis as unknown as { __benchPcs?: RTCPeerConnection[] }).__benchPcs ?? [];
  const out = {
    peerConnections: 0,
    streams: 0,
    bytes: 0,
    packets: 0,
    lost: 0,
    jitterMs: 0,
    energy: 0,
    duration: 0,
    concealed: 0,
    samples: 0,
    sentBytes: 0,
  };
  const n = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : 0);
  for (const pc of pcs) {
    if (pc.connectionState === "closed") continue;
    out.peerConnections++;
    (await pc.getStats()).forEach((r) => {
      if (r.kind !== "audio") return;
      if (r.type === "outbound-rtp") out.sentBytes += n(r.bytesSent);
      if (r.type !== "inbound-rtp") return;
      out.streams++;
      out.bytes += n(r.bytesReceived);
      out.packets += n(r.packetsReceived);
      out.lost += n(r.packetsLost);
      out.jitterMs = Math.max(out.jitterMs, n(r.jitter) * 1000);
      out.energy += n(r.totalAudioEnergy);
      out.duration += n(r.totalSamplesDuration);
      out.concealed += n(r.concealedSamples);
      out.samples += n(r.totalSamplesReceived);
    });
  }
  return out;
}

async function browserSample(page: Page): Promise<BrowserSample> {
  const [hook, raw] = await Promise.all([roomStats(page), page.evaluate(rawAudioStats)]);
  const f = hook.inbound[PHONE_FEED];
  return {
    at: performance.now(),
    feed: f ? { audioBytes: f.audioBytes, audioPackets: f.audioPackets, audioLevel: f.audioLevel } : null,
    raw,
    video: { bytes: hook.outbound.videoBytes, frames: hook.outbound.framesEncoded },
  };
}

/** The callers' child process, inside the namespace: `ask` sends a command and waits for its answer. */
function startCallers(stack: { ns: NetNs }) {
  const child = stack.ns.spawn([Deno.execPath(), "run", "-A", "bench/sip.ts"], {
    cwd: ROOT,
    env: { BENCH_SIP_ROLE: "callers", TALKSPACE_LOG: "quiet" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const proc = track("callers", child);
  let exited = false;
  child.status.then(() => (exited = true));
  const writer = child.stdin.getWriter();
  let next = 0;
  const ask = async <T>(cmd: string, body: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> => {
    const id = ++next;
    const marker = `@@${id} `;
    await writer.write(new TextEncoder().encode(`${JSON.stringify({ id, cmd, ...body })}\n`));
    const line = await poll(
      `the callers' answer to ${cmd}`,
      () => {
        const out = proc.output();
        const at = out.indexOf(marker);
        const end = at < 0 ? -1 : out.indexOf("\n", at);
        if (end >= 0) return out.slice(at + marker.length, end);
        if (exited) throw new Error(`the callers' process exited:\n${out.slice(-3000)}`);
        return null;
      },
      timeoutMs,
      20,
    );
    const answer = JSON.parse(line);
    if (answer?.error) throw new Error(`callers: ${answer.error}`);
    return answer as T;
  };
  const close = async () => {
    await writer.close().catch(() => {});
    await proc.stop();
  };
  return { pid: child.pid, proc, ask, close };
}

/** A WAV of a tone pulsed 500 ms on / 500 ms off (a whole number of cycles each), for Chromium's fake microphone. */
function pulsedToneWav(hz: number, rate: number, seconds: number): Uint8Array {
  const wav = toneWav(hz, rate, seconds, 0.5);
  const v = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  for (let i = 0; 44 + i * 2 < wav.length; i++) {
    if (Math.floor((i * 2) / rate) % 2 === 1) v.setInt16(44 + i * 2, 0, true);
  }
  return wav;
}

async function partB(cleanup: Cleanup): Promise<boolean> {
  const unavailable = await meetingStackUnavailable();
  if (unavailable) {
    console.log(`\nbench: (b) skipped: it needs the browser tests' meeting stack: ${unavailable}`);
    return false;
  }
  const wavDir = await Deno.makeTempDir({ prefix: "talkspace-bench-sip-" });
  cleanup.add("remove the browser's WAV", () => Deno.remove(wavDir, { recursive: true }).catch(() => {}));
  const browserWav = `${wavDir}/browser_1k_pulsed.wav`;
  await Deno.writeFile(browserWav, pulsedToneWav(BROWSER_HZ, 48000, 10));
  // The web app inherits this (the harness sets no log level for it); the gateway's is set quiet.
  Deno.env.set("TALKSPACE_LOG", "quiet");
  const sipPort = 5060;
  const stackStart = performance.now();
  console.log(`\nbench: (b) starting the meeting stack in a network namespace…`);
  const { stack, seeded } = await startMeetingStack(async (kv) => {
    const host = await createUser(kv, { name: "Host Hanna", email: "hanna@example.org", passwordHash: "unused" });
    return {
      session: await createSession(kv, host.id, "full", "bench"),
      meeting: await createMeeting(kv, { hostId: host.id, title: "Load", settings: { lobby: false } }),
    };
  }, {
    tag: "sip-bench",
    chromiumArgs: [`--use-file-for-fake-audio-capture=${browserWav}`],
    gatewayEnv: ({ base }) => ({
      // The callers' process runs in the namespace too: its raw phones speak to 127.0.0.1.
      SIP_HOST: "127.0.0.1",
      SIP_PORT: String(sipPort),
      SIP_ADVERTISED_HOST: "127.0.0.1",
      SIP_RTP_PORT_RANGE: "42000-42999",
      WEB_INTERNAL_URL: base,
    }),
  });
  cleanup.add("stop the meeting stack", () => stack.stop());
  const { session, meeting } = seeded;
  const gw = { request: (method: string, path: string) => stack.gatewayRequest(method, path) };
  let callers: ReturnType<typeof startCallers> | null = null;
  try {
    const janusPid = await poll("Janus's pid file", async () => {
      const pid = Number(await Deno.readTextFile(`${stack.dataDir}/gateway/janus/janus.pid`).catch(() => ""));
      return pid > 0 ? pid : null;
    }, 10_000);
    const page = await stack.newPage(session.token);
    await page.addInitScript(capturePeerConnections);
    await page.goto(`${stack.base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
    await waitForPreJoin(page, "the browser");
    await page.click("button.room-join");
    await waitInMeeting(page, "the browser");
    console.log(`bench: (b) stack and browser ready in ${((performance.now() - stackStart) / 1000).toFixed(1)} s`);

    callers = startCallers(stack);
    stack.track(callers.proc);
    const c = callers;
    console.log(`bench: (b) ${CALLERS} callers into one meeting with one browser…`);
    const dialed = await c.ask<{ setupMs: number[] }>(
      "dial",
      { sipPort, dial: `${meeting.meetingId}*${meeting.passcode}`, callers: CALLERS },
      CALLERS * 10_000,
    );
    const loadSetup = dialed.setupMs;
    await poll(
      `${CALLERS} callers in the bridge`,
      async () => (await calls(gw, meeting.meetingId)).filter((c) => c.phase === "in-bridge").length === CALLERS,
      15_000,
    )
      .catch((err) => console.log(`bench: ${err.message} (going on with those that are)`));
    await poll(
      "every caller receiving the bridge's RTP",
      async () => (await c.ask<{ receiving: number }>("status")).receiving === CALLERS,
      10_000,
    ).catch((err) => console.log(`bench: ${err.message} (going on)`));
    await poll("the browser receiving the callers' mix", async () => {
      const s = (await roomStats(page)).inbound[PHONE_FEED];
      return s && s.audioBytes > 0 && s.audioLevel > 0.01;
    }, 30_000).catch((err) => console.log(`bench: ${err.message} (going on)`));
    const failedLoad = (await c.ask<{ byes: number }>("status")).byes;
    if (failedLoad) {
      console.log(`bench: ${failedLoad} of ${CALLERS} load calls were hung up by the gateway while joining`);
    }

    const pids = {
      janus: janusPid,
      gateway: stack.gateway.child.pid,
      web: stack.web.child.pid,
      "callers (load generator)": c.pid,
      "bench (Playwright, stats)": Deno.pid,
    };
    const names = Object.entries(pids).map(([k, pid]) => {
      const comm = (() => {
        try {
          return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
        } catch {
          return "?";
        }
      })();
      return `${k} ${pid} (${comm})`;
    });
    console.log(`bench: pids ${names.join(", ")}; load ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`);

    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const chrome0 = chromiumCpu();
    const stats0 = new Map((await calls(gw, meeting.meetingId)).map((c) => [c.sipCallId, c.relay!]));
    await c.ask("start");
    const samples: BrowserSample[] = [await browserSample(page)];
    const t0 = performance.now();
    console.log(`bench: holding ${CALLERS} calls and the browser for ${SECONDS} s…`);
    // The hold is the measurement window: one browser stats sample a second.
    for (let k = 1; k <= SECONDS; k++) {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + k * 1000 - performance.now())));
      samples.push(await browserSample(page));
    }
    const t1 = performance.now();
    const elapsed = (t1 - t0) / 1000;
    const cpu1 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const chrome1 = chromiumCpu();
    const result = await c.ask<{ seconds: number; callers: CallerResult[] }>("stop");
    const list = await calls(gw, meeting.meetingId);
    const held = list.filter((c) => c.phase === "in-bridge").length;
    const crowd = result.callers;
    const byes = crowd.filter((p) => p.bye).length;

    // --- relay ---
    let callerLost = 0, janusLost = 0, callerInPkts = 0, janusInPkts = 0, toJanusFrames = 0, toCallerPkts = 0;
    let dups = 0, late = 0, sendErrors = 0, maxJitter = 0, measuredCalls = 0;
    const lossPerCall: number[] = [];
    for (const c of list) {
      const a = stats0.get(c.sipCallId), b = c.relay;
      if (!a || !b) continue;
      measuredCalls++;
      const lost = (b.callerIn.lost - a.callerIn.lost) + (b.janusIn.lost - a.janusIn.lost);
      lossPerCall.push(lost);
      callerLost += b.callerIn.lost - a.callerIn.lost;
      janusLost += b.janusIn.lost - a.janusIn.lost;
      callerInPkts += b.callerIn.packets - a.callerIn.packets;
      janusInPkts += b.janusIn.packets - a.janusIn.packets;
      toJanusFrames += b.toJanus.frames - a.toJanus.frames;
      toCallerPkts += b.toCaller.packets - a.toCaller.packets;
      dups += (b.callerIn.duplicates - a.callerIn.duplicates) + (b.janusIn.duplicates - a.janusIn.duplicates);
      late += (b.toJanus.late ?? 0) - (a.toJanus.late ?? 0);
      const errs = (b as unknown as { sendErrors?: number }).sendErrors ?? 0;
      sendErrors += errs - ((a as unknown as { sendErrors?: number }).sendErrors ?? 0);
      maxJitter = Math.max(maxJitter, b.callerIn.jitterMs, b.janusIn.jitterMs);
    }
    const callsWithLoss = lossPerCall.filter((n) => n > 0).length;
    const expected = Math.round(elapsed * 50) * CALLERS;
    const rxPkts = crowd.reduce((n, p) => n + p.received, 0);
    const rxGaps = crowd.reduce((n, p) => n + p.gaps, 0);
    const txPkts = crowd.reduce((n, p) => n + p.sent, 0);
    const minRx = Math.min(...crowd.map((p) => p.received));

    // --- hearing at the callers ---
    const tone = crowd.slice(1).map((p) => p.tone!);
    const hearTone = tone.filter((t) => t.fraction === 1).length;
    const browserTone = crowd.map((p) => p.browser);
    const hearBrowser = browserTone.filter((t) => t.fraction === 1).length;
    const minMed = (xs: { fraction: number; medianDbov: number }[]) =>
      xs.length
        ? `${db(Math.min(...xs.map((x) => x.medianDbov)))} / ${db(median(xs.map((x) => x.medianDbov)))} dBov`
        : "-";
    const worst = (xs: { fraction: number }[]) =>
      xs.length ? `${(Math.min(...xs.map((x) => x.fraction)) * 100).toFixed(1)} %` : "-";

    // --- the browser ---
    const first = samples[0], last = samples[samples.length - 1];
    const perSecond = samples.slice(1).map((s, i) => {
      const p = samples[i];
      const dE = s.raw.energy - p.raw.energy, dD = s.raw.duration - p.raw.duration;
      return {
        bytes: s.raw.bytes - p.raw.bytes,
        hookBytes: (s.feed?.audioBytes ?? 0) - (p.feed?.audioBytes ?? 0),
        dbfs: dE > 0 && dD > 0 ? 10 * Math.log10(dE / dD) : -127,
        audioLevel: s.feed?.audioLevel ?? 0,
      };
    });
    const heardSeconds = perSecond.filter((s) => s.bytes > 0 && s.hookBytes > 0 && s.dbfs > BROWSER_MIX_DBFS).length;
    const browserHears = perSecond.length > 0 && heardSeconds === perSecond.length;
    const inBytes = last.raw.bytes - first.raw.bytes;
    const inPkts = last.raw.packets - first.raw.packets;
    const inLost = last.raw.lost - first.raw.lost;
    const hookBytes = (last.feed?.audioBytes ?? 0) - (first.feed?.audioBytes ?? 0);
    const concealed = last.raw.concealed - first.raw.concealed, rxSamples = last.raw.samples - first.raw.samples;
    const sentBytes = last.raw.sentBytes - first.raw.sentBytes;
    const kbps = (bytes: number) => ((bytes * 8) / elapsed / 1000).toFixed(1);
    const videoBytes = last.video.bytes - first.video.bytes, videoFrames = last.video.frames - first.video.frames;
    const levelsDbfs = perSecond.map((s) => s.dbfs), audioLevels = perSecond.map((s) => s.audioLevel);

    console.log(
      `\n(b) ${CALLERS} concurrent PCMU 20 ms callers + 1 browser (Chromium) in one meeting, ` +
        `${elapsed.toFixed(1)} s measured`,
    );
    printTable(["", "value"], [
      ["calls in the bridge at the end", `${held} / ${CALLERS}`],
      ["BYEs received by callers", String(byes)],
      ["setup INVITE → 200 while joining, median / max ms", `${ms(median(loadSetup))} / ${ms(Math.max(...loadSetup))}`],
      ["packets sent by callers (expected ≈)", `${txPkts} (${expected})`],
      ["relay: caller → relay packets / lost", `${callerInPkts} / ${callerLost}`],
      ["relay: frames to Janus (late)", `${toJanusFrames} (${late})`],
      ["relay: Janus → relay packets / lost", `${janusInPkts} / ${janusLost}`],
      ["relay: calls with any loss / worst call's loss", `${callsWithLoss} / ${Math.max(0, ...lossPerCall)}`],
      ["relay: calls measured (in the list at start and end)", `${measuredCalls} / ${CALLERS}`],
      ["relay: duplicates / send errors", `${dups} / ${sendErrors}`],
      ["relay: max jitter ms (any call, either side)", maxJitter.toFixed(2)],
      ["relay → callers packets", String(toCallerPkts)],
      ["callers received packets (min per caller)", `${rxPkts} (${minRx})`],
      ["callers: sequence gaps (lost) in what they received", String(rxGaps)],
      [`caller 1's ${TONE_HZ} Hz (> ${TONE_DBOV} dBov) heard every second by`, `${hearTone} / ${CALLERS - 1} others`],
      ["  worst listener's fraction of seconds", worst(tone)],
      ["  level at listeners (median of per-second max), min / median", minMed(tone)],
      [
        `browser's ${BROWSER_HZ} Hz (> ${BROWSER_TONE_DBOV} dBov) heard every second by`,
        `${hearBrowser} / ${CALLERS} callers`,
      ],
      ["  worst caller's fraction of seconds", worst(browserTone)],
      ["  level at callers (median of per-second max), min / median", minMed(browserTone)],
    ]);
    console.log(`\nthe browser over the same ${elapsed.toFixed(1)} s (getStats, one sample a second)`);
    printTable(["", "value"], [
      [
        `seconds the mix arrived (bytes grew, level > ${BROWSER_MIX_DBFS} dBFS)`,
        `${heardSeconds} / ${perSecond.length}`,
      ],
      ["received audio: bytes (kbit/s) / hook's phone-feed bytes", `${inBytes} (${kbps(inBytes)}) / ${hookBytes}`],
      ["received audio: packets (expected ≈) / lost", `${inPkts} (${Math.round(elapsed * 50)}) / ${inLost}`],
      [
        "received audio: max jitter ms / concealed samples",
        `${last.raw.jitterMs.toFixed(1)} / ${concealed} of ${rxSamples}`,
      ],
      [
        "received level per second (totalAudioEnergy) min / median",
        `${db(Math.min(...levelsDbfs))} / ${db(median(levelsDbfs))} dBFS`,
      ],
      [
        "phone feed audioLevel samples min / median",
        `${Math.min(...audioLevels).toFixed(3)} / ${median(audioLevels).toFixed(3)}`,
      ],
      ["sent audio: bytes (kbit/s)", `${sentBytes} (${kbps(sentBytes)})`],
      ["sent video (camera): bytes (kbit/s) / frames encoded", `${videoBytes} (${kbps(videoBytes)}) / ${videoFrames}`],
      ["inbound audio streams / peer connections", `${last.raw.streams} / ${last.raw.peerConnections}`],
    ]);

    console.log(
      `\nCPU over the ${elapsed.toFixed(1)} s (utime+stime, % of one core; ${navigator.hardwareConcurrency} cores)`,
    );
    let chromeS = 0;
    for (const [pid, s] of chrome1) chromeS += s - (chrome0.get(pid) ?? 0);
    const gone = [...chrome0.keys()].filter((pid) => !chrome1.has(pid)).length;
    const cpuRows = Object.keys(pids).map((k) => {
      const d = (cpu1[k] ?? NaN) - (cpu0[k] ?? NaN);
      return [k, d.toFixed(2), ((d / elapsed) * 100).toFixed(1)];
    });
    cpuRows.splice(3, 0, [
      `chromium (${chrome1.size} processes${gone ? `, ${gone} gone` : ""})`,
      chromeS.toFixed(2),
      ((chromeS / elapsed) * 100).toFixed(1),
    ]);
    printTable(["process", "cpu s", "% core"], cpuRows);

    const totalLost = callerLost + janusLost + rxGaps;
    const misses = [
      held !== CALLERS && `${CALLERS - held} not in the bridge`,
      byes && `${byes} BYEs`,
      totalLost && `${totalLost} packets lost`,
      minRx <= 0 && "a caller received nothing",
      hearTone !== CALLERS - 1 && `${CALLERS - 1 - hearTone} callers missed caller 1's tone`,
      hearBrowser !== CALLERS && `${CALLERS - hearBrowser} callers missed the browser's tone`,
      !browserHears && `the browser missed the mix in ${perSecond.length - heardSeconds} seconds`,
    ].filter(Boolean);
    const okB = misses.length === 0;
    console.log(
      `goal (b) all ${CALLERS} held with one browser, everyone hears the others, no packet loss: ` +
        `${okB ? "met" : `MISSED (${misses.join("; ")})`}`,
    );
    const janusLines = stack.gateway.output().split("\n").filter((l) =>
      /plainrtp|bind|allocate|port/i.test(l) && /audiobridge/i.test(l)
    );
    if (janusLines.length) {
      console.log(`Janus AudioBridge port lines (${janusLines.length}):\n  ${janusLines.slice(0, 5).join("\n  ")}`);
    }
    if (stack.consoleLines.length) {
      console.log(`browser console warnings/errors (${stack.consoleLines.length}), last:`);
      for (const l of stack.consoleLines.slice(-5)) console.log(`  ${l.slice(0, 300)}`);
    }
    console.log(`load average after: ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`);

    await c.ask("hangup", {}, 60_000);
    await poll("no calls left", async () => (await calls(gw, meeting.meetingId)).length === 0, 20_000).catch(
      (err) => console.error(`bench: ${err.message}`),
    );
    await c.ask("exit");
    return okB;
  } catch (err) {
    console.error(stack.dump());
    throw err;
  } finally {
    await callers?.close();
    await stack.stop();
  }
}

async function main(): Promise<number> {
  if (!/^[ab]+$/.test(PARTS)) throw new Error(`BENCH_SIP_PARTS must be a, b or ab, got ${PARTS}`);
  for (const [cmd, args] of [["janus", ["--version"]], ["espeak-ng", ["--version"]], ["sox", ["--version"]]] as const) {
    if (!await commandExists(cmd, [...args])) throw new Error(`${cmd} is not installed`);
  }
  setQuiet(true);
  const cleanup = new Cleanup();
  cleanup.install(TIMEOUT_S * 1000);
  const started = performance.now();
  try {
    const okA = PARTS.includes("a") ? await partA(cleanup) : true;
    const okB = PARTS.includes("b") ? await partB(cleanup) : true;
    console.log(`\nbench: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return STRICT && !(okA && okB) ? 1 : 0;
  } finally {
    await cleanup.run();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(Deno.env.get("BENCH_SIP_ROLE") === "callers" ? await callersMain() : await main());
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.stack : err}`);
    Deno.exit(1);
  }
}
