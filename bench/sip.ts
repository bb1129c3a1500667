// SIP benchmark, full stack on loopback: the REAL web app (tests/support/server.ts) and the REAL
// gateway process with its Janus and SIP, raw SIP/RTP callers written here (bench/support/sip_phone.ts).
//
//   deno run -A bench/sip.ts
//
// (a) Call setup: INVITE sent → 200 OK received, median and p95 over BENCH_SIP_CALLS (50) sequential
//     calls into a meeting that already has one caller (so the bridge is live), next to the floor
//     measured in the same run, alternating: a plain-RTP participant AudioBridge `join` request → its
//     answer, with janode through the gateway's JanusLink against the SAME Janus
//     (bench/support/sip_floor.ts). Goal: median ≤ 2 × the floor's median.
// (b) Load: BENCH_SIP_CALLERS (50) concurrent G.711 (PCMU, 20 ms) callers in one meeting for
//     BENCH_SIP_SECONDS (60). Caller 1 sends a 440 Hz tone, the others silence; every caller must
//     receive the bridge's RTP all along and every other caller must hear the tone (loudest packet
//     of each second > −25 dBov). CPU of Janus, the gateway, the web app and this load generator
//     from /proc/<pid>/stat (utime+stime) over the measured period; packet loss from the gateway's
//     relay stats (GET /internal/calls?meetingId=, signed) diffed over the period, plus sequence
//     gaps seen by the callers. Goal: all held, no loss. No browser takes part (see the report).
//
// Options: BENCH_SIP_CALLS, BENCH_SIP_CALLERS, BENCH_SIP_SECONDS, BENCH_TIMEOUT (seconds, whole
// run, default 600), BENCH_STRICT=1 (exit 1 when a goal is missed). Needs janus, espeak-ng, sox.

import { setQuiet } from "../lib/log.ts";
import { createUser } from "../lib/db/users.ts";
import { createMeeting, type Meeting } from "../lib/db/meetings.ts";
import { freePort, startGateway } from "../gateway/testing.ts";
import type { RunningGateway } from "../gateway/testing.ts";
import { startServer } from "../tests/support/server.ts";
import type { RunningServer } from "../tests/support/server.ts";
import type { CallInfo } from "../gateway/calls/controller.ts";
import { Cleanup, commandExists, median, percentile, poll, positiveInt, printTable } from "./support/common.ts";
import { cpuSeconds, Pacer, RawPhone, toneFrames } from "./support/sip_phone.ts";
import { AudioBridgeFloor } from "./support/sip_floor.ts";

const CALLS = positiveInt("BENCH_SIP_CALLS", 50);
const CALLERS = positiveInt("BENCH_SIP_CALLERS", 50);
const SECONDS = positiveInt("BENCH_SIP_SECONDS", 60);
const TIMEOUT_S = positiveInt("BENCH_TIMEOUT", 600);
const STRICT = Deno.env.get("BENCH_STRICT") === "1";
const GOAL_RATIO = 2;
const TONE_DBOV = -25;

function freeUdpPort(): number {
  const s = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (s.addr as Deno.NetAddr).port;
  s.close();
  return port;
}

const ms = (n: number) => n.toFixed(1);

async function calls(gw: RunningGateway, meetingId: string): Promise<CallInfo[]> {
  const res = await gw.request("GET", `/internal/calls?meetingId=${meetingId}`);
  if (res.status !== 200) throw new Error(`GET /internal/calls answered ${res.status}`);
  return (await res.json()).calls;
}

async function main(): Promise<number> {
  for (const [cmd, args] of [["janus", ["--version"]], ["espeak-ng", ["--version"]], ["sox", ["--version"]]] as const) {
    if (!await commandExists(cmd, [...args])) throw new Error(`${cmd} is not installed`);
  }
  setQuiet(true);
  const cleanup = new Cleanup();
  cleanup.install(TIMEOUT_S * 1000);
  const phones: RawPhone[] = [];
  try {
    // --- the stack ---------------------------------------------------------------------------------
    const webPort = freePort();
    const sipPort = freeUdpPort();
    const adminWsPort = freePort();
    const rtpBase = 50000 + Math.floor(Math.random() * 20) * 500;
    const janusBase = 20000 + Math.floor(Math.random() * 10) * 2000;
    const secret = crypto.randomUUID();
    const gw = await startGateway({
      GATEWAY_SECRET: secret,
      SIP_PORT: String(sipPort),
      SIP_HOST: "127.0.0.1",
      SIP_ADVERTISED_HOST: "127.0.0.1",
      SIP_RTP_PORT_RANGE: `${rtpBase}-${rtpBase + 499}`,
      JANUS_ADMIN_WS_PORT: String(adminWsPort),
      // The AudioBridge takes its plain-RTP ports from this range too, and they are not all back
      // right after a leave: startGateway's default 100 ports ran out after ~100 joins in this bench.
      JANUS_RTP_PORT_RANGE: `${janusBase}-${janusBase + 1999}`,
      WEB_INTERNAL_URL: `http://127.0.0.1:${webPort}`,
      TALKSPACE_LOG: "quiet",
    });
    cleanup.add("stop the gateway", () => gw.stop());
    const web: RunningServer = await startServer({
      PORT: String(webPort),
      GATEWAY_URL: gw.url,
      GATEWAY_SECRET: secret,
      JANUS_WS_URL: gw.janusWsUrl,
      TALKSPACE_LOG: "quiet",
    });
    cleanup.add("stop the web app", () => web.stop());
    const kv = await Deno.openKv(`${web.dataDir}/talkspace.kv`);
    cleanup.add("close the KV", () => kv.close());
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

    // --- (b) load -----------------------------------------------------------------------------------
    const loadMeeting = await meeting("Load");
    console.log(`\nbench: (b) ${CALLERS} callers into one meeting…`);
    const tone = toneFrames();
    const pacer = new Pacer([]);
    cleanup.add("stop the pacer", () => pacer.stop());
    const crowd: RawPhone[] = [];
    const loadSetup: number[] = [];
    for (let i = 0; i < CALLERS; i++) {
      const p = newPhone(i === 0 ? "Tone Caller" : `Caller ${i + 1}`);
      if (i === 0) p.frames = tone;
      const r = await p.invite(dial(loadMeeting));
      if (r.status !== 200) throw new Error(`load call ${i} answered ${r.status}`);
      loadSetup.push(r.ms);
      p.startSending();
      pacer.phones.push(p);
      crowd.push(p);
    }
    await poll(
      `${CALLERS} callers in the bridge`,
      async () => (await calls(gw, loadMeeting.meetingId)).filter((c) => c.phase === "in-bridge").length === CALLERS,
      15_000,
    )
      .catch((err) => console.log(`bench: ${err.message} (going on with those that are)`));
    await poll("every caller receiving the bridge's RTP", () => crowd.every((p) => p.received > 0), 10_000).catch(
      (err) => console.log(`bench: ${err.message} (going on)`),
    );
    const failedLoad = crowd.filter((p) => p.byeReceived).length;
    if (failedLoad) {
      console.log(`bench: ${failedLoad} of ${CALLERS} load calls were hung up by the gateway while joining`);
    }
    // Settle, then measure.
    await new Promise((r) => setTimeout(r, 2000));
    const pids = { janus: janusPid, gateway: gw.pid, web: web.pid, "load generator (bench)": Deno.pid };
    const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const stats0 = new Map((await calls(gw, loadMeeting.meetingId)).map((c) => [c.sipCallId, c.relay!]));
    const rx0 = crowd.map((p) => ({ received: p.received, gaps: p.gaps, sent: p.sent }));
    const t0 = performance.now();
    console.log(`bench: holding ${CALLERS} calls for ${SECONDS} s…`);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const t1 = performance.now();
    const elapsed = (t1 - t0) / 1000;
    const cpu1 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
    const list = await calls(gw, loadMeeting.meetingId);
    const held = list.filter((c) => c.phase === "in-bridge").length;
    const byes = crowd.filter((p) => p.byeReceived).length;

    let callerLost = 0, janusLost = 0, callerInPkts = 0, janusInPkts = 0, toJanusFrames = 0, toCallerPkts = 0;
    let dups = 0, late = 0, sendErrors = 0, maxJitter = 0;
    for (const c of list) {
      const a = stats0.get(c.sipCallId), b = c.relay;
      if (!a || !b) continue;
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
    const expected = Math.round(elapsed * 50) * CALLERS;
    const rxPkts = crowd.reduce((n, p, i) => n + p.received - rx0[i].received, 0);
    const rxGaps = crowd.reduce((n, p, i) => n + p.gaps - rx0[i].gaps, 0);
    const txPkts = crowd.reduce((n, p, i) => n + p.sent - rx0[i].sent, 0);
    const minRx = Math.min(...crowd.map((p, i) => p.received - rx0[i].received));

    // Tone at every other caller: the loudest packet of each whole second inside the period.
    const heardFractions = crowd.slice(1).map((p) => {
      const first = Math.ceil((t0 - p.levelEpoch) / 1000), last = Math.floor((t1 - p.levelEpoch) / 1000) - 1;
      let n = 0, yes = 0;
      for (let s = first; s <= last; s++, n++) if ((p.loudestBySecond.get(s) ?? -200) > TONE_DBOV) yes++;
      return n ? yes / n : 0;
    });
    const levels = crowd.slice(1).map((p) => median([...p.loudestBySecond.values()]));
    const hearAll = heardFractions.filter((f) => f === 1).length;

    console.log(
      `\n(b) ${CALLERS} concurrent PCMU 20 ms callers in one meeting, ${elapsed.toFixed(1)} s measured (no browser)`,
    );
    printTable(["", "value"], [
      ["calls in the bridge at the end", `${held} / ${CALLERS}`],
      ["BYEs received by callers", String(byes)],
      ["setup INVITE → 200 while joining, median / max ms", `${ms(median(loadSetup))} / ${ms(Math.max(...loadSetup))}`],
      ["packets sent by callers (expected ≈)", `${txPkts} (${expected})`],
      ["relay: caller → relay packets / lost", `${callerInPkts} / ${callerLost}`],
      ["relay: frames to Janus (late)", `${toJanusFrames} (${late})`],
      ["relay: Janus → relay packets / lost", `${janusInPkts} / ${janusLost}`],
      ["relay: duplicates / send errors", `${dups} / ${sendErrors}`],
      ["relay: max jitter ms (any call, either side)", maxJitter.toFixed(2)],
      ["relay → callers packets", String(toCallerPkts)],
      ["callers received packets (min per caller)", `${rxPkts} (${minRx})`],
      ["callers: sequence gaps (lost) in what they received", String(rxGaps)],
      [`tone (> ${TONE_DBOV} dBov) heard every second by`, `${hearAll} / ${CALLERS - 1} others`],
      ["tone heard: worst caller's fraction of seconds", `${(Math.min(...heardFractions) * 100).toFixed(1)} %`],
      [
        "tone level at listeners (median of per-second max), min/median",
        `${Math.min(...levels).toFixed(1)} / ${median(levels).toFixed(1)} dBov`,
      ],
    ]);
    console.log(
      `\nCPU over the ${elapsed.toFixed(1)} s (utime+stime, % of one core; ${navigator.hardwareConcurrency} cores)`,
    );
    printTable(
      ["process", "cpu s", "% core"],
      Object.keys(pids).map((k) => {
        const d = (cpu1[k] ?? NaN) - (cpu0[k] ?? NaN);
        return [k, d.toFixed(2), ((d / elapsed) * 100).toFixed(1)];
      }),
    );
    const totalLost = callerLost + janusLost + rxGaps;
    const okB = held === CALLERS && byes === 0 && totalLost === 0 && hearAll === CALLERS - 1 && minRx > 0;
    console.log(`goal (b) all ${CALLERS} held, tone heard by all others, no packet loss: ${okB ? "met" : "MISSED"}`);
    const janusLines = gw.output().split("\n").filter((l) =>
      /plainrtp|bind|allocate|port/i.test(l) && /audiobridge/i.test(l)
    );
    if (janusLines.length) {
      console.log(`Janus AudioBridge port lines (${janusLines.length}):\n  ${janusLines.slice(0, 5).join("\n  ")}`);
    }
    console.log(`load average after: ${Deno.loadavg().map((l) => l.toFixed(2)).join(" ")}`);

    pacer.stop();
    for (const p of crowd) await p.bye().catch(() => {});
    await poll("no calls left", async () => (await calls(gw, loadMeeting.meetingId)).length === 0, 20_000).catch(
      (err) => console.error(`bench: ${err.message}`),
    );
    return STRICT && !(okA && okB) ? 1 : 0;
  } finally {
    for (const p of phones) await p.close().catch(() => {});
    await cleanup.run();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.stack : err}`);
    Deno.exit(1);
  }
}
