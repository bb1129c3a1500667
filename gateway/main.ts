// The gateway service beside Janus: renders Janus's config and supervises it (unless external),
// keeps the janode connection with reconnects, and serves the signed HTTP API for the web app.

import { logger } from "../lib/common/log.ts";
import { AudioBridgeManager } from "./plugins/audiobridge.ts";
import { SipBridges } from "./bridge/bridge.ts";
import { MeetingVideos } from "./bridge/room_video.ts";
import { findTranscoder } from "./rtp/transcoder.ts";
import { CallController } from "./calls/controller.ts";
import { type CallPrompts, loadCallPrompts } from "./ivr/prompts.ts";
import { ivrLimitsFromEnv } from "./calls/limits.ts";
import { loadGatewayConfig, portRangeOverlap } from "./config.ts";
import { createHttpApi } from "./http_api.ts";
import { renderJanusConfig } from "./janus/config.ts";
import { JanusLink } from "./janus/link.ts";
import { type JanusSupervisor, superviseJanus } from "./janus/process.ts";
import { SipEndpoint } from "./sip/endpoint.ts";
import { VideoRoomManager } from "./plugins/videoroom.ts";
import { createWebClient } from "./web_client.ts";
import { Recordings } from "./recording/service.ts";

const log = logger("gateway");

export async function main() {
  const config = loadGatewayConfig();

  let supervisor: JanusSupervisor | null = null;
  if (!config.janusExternal) {
    const configDir = await Deno.realPath(await renderJanusConfig(config));
    supervisor = await superviseJanus({
      binary: config.janusBinary,
      configDir,
      probeUrl: config.janusApiUrl,
      pidFile: `${configDir}/janus.pid`,
    });
  }

  const rooms = new VideoRoomManager(config.janusAdminKey, config.janusPlainRtpIp);
  const audioBridges = new AudioBridgeManager(config.janusAdminKey);
  const link = new JanusLink({
    apiUrl: config.janusApiUrl,
    adminUrl: config.janusAdminUrl,
    adminSecret: config.janusAdminSecret,
  });
  link.addListener(rooms);
  link.addListener(audioBridges);
  link.start();

  // Dial-in/out: prompts (espeak-ng + sox, cached in DATA_DIR; the install's phone language before
  // SIP listens, the other languages right after), the SIP endpoint, call control.
  const sip = config.sip;
  const overlap = portRangeOverlap(config);
  if (overlap) log.warn("port ranges overlap", { problem: overlap });
  let prompts: CallPrompts | null = null;
  try {
    prompts = await loadCallPrompts(config.dataDir, { install: sip.language });
  } catch (err) {
    log.warn("IVR prompts unavailable (espeak-ng and sox needed); callers hear silence", {
      error: (err as Error).message,
    });
  }
  let endpoint: SipEndpoint | null = null;
  if (sip.port !== 0) {
    const digest = Object.keys(sip.authUsers).length
      ? { realm: sip.authRealm, users: sip.authUsers, nonceTtlMs: 300_000 }
      : undefined;
    endpoint = new SipEndpoint({
      host: sip.host,
      port: sip.port,
      advertisedHost: sip.advertisedHost,
      access: sip.trunkIps.length || digest ? { trustedSources: sip.trunkIps, digest } : undefined,
      credentials: sip.credentials ?? undefined,
    });
  }
  // H.264-only room systems see the speaker only through ffmpeg (VP8 → H.264); without it, audio.
  const transcoder = sip.video && sip.transcode === "auto" ? await findTranscoder() : null;
  // Created below (it needs the call controller to tell callers); a call entering the bridge before
  // then finds no recording.
  let recordings: Recordings | null = null;
  const calls = new CallController({
    endpoint,
    web: createWebClient({ url: sip.webInternalUrl, secret: config.secret }),
    bridges: new SipBridges({ bridges: audioBridges, rooms }),
    videos: sip.video ? new MeetingVideos({ rooms }) : null,
    transcoder,
    ensureRoom: (meetingId, title) => rooms.ensureRoom(meetingId, title ? { title } : {}),
    advertisedHost: sip.advertisedHost,
    relayBindHost: sip.host,
    rtpPortRange: sip.rtpPortRange,
    did: sip.did,
    outboundProxy: sip.outboundProxy,
    language: sip.language,
    dialOutNoAnswerMs: sip.dialOutNoAnswerMs,
    prompts,
    ivrLimits: ivrLimitsFromEnv(Deno.env.toObject()),
    trunkSources: sip.trunkIps,
    isRecording: (meetingId) => recordings?.isRecording(meetingId) ?? false,
  });
  // Runs after the VideoRoom and AudioBridge managers re-created their rooms on a (re)connect: puts
  // back the phone feeds, browsers' audio into bridges and room systems' video (no-op at first).
  link.addListener({
    connected: () => {
      void calls.janusRestored().catch((err) => log.error("restoring calls' media failed", { error: String(err) }));
      return Promise.resolve();
    },
    disconnected: () => {},
  });
  if (endpoint) {
    endpoint.start();
    log.info("SIP listening", {
      host: sip.host,
      port: endpoint.port,
      advertised: sip.advertisedHost,
      video: sip.video ? (transcoder ? "VP8, H.264 (transcoded)" : "VP8; H.264 receive only (no ffmpeg)") : "off",
    });
  }

  // Recordings: Janus writes into RECORDINGS_DIR, so it gets the absolute path; unfinished
  // post-processing of an earlier run is resumed.
  await Deno.mkdir(config.recording.dir, { recursive: true });
  recordings = new Recordings({
    config: { ...config.recording, dir: await Deno.realPath(config.recording.dir) },
    rooms,
    bridges: audioBridges,
    announce: (meetingId, on) => void calls.announceRecording(meetingId, on),
  });
  const resumed = await recordings.resume();
  if (resumed) log.info("recording jobs resumed", { jobs: resumed });

  const app = createHttpApi({
    secret: config.secret,
    rooms,
    janusConnected: () => link.connected,
    janusUrl: config.janusPublicUrl,
    iceServers: config.iceServers,
    calls,
    recordings,
  });
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ hostname, port }) => log.info("listening", { url: `http://${hostname}:${port}` }),
  }, app.fetch);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info("shutting down", { signal });
    await server.shutdown();
    // Recordings in progress stop and are processed after the next start (their jobs resume).
    recordings.jobs.stop();
    await recordings.recorder.stopAll("gateway-restart");
    await calls.stop();
    await endpoint?.stop();
    await link.stop();
    await supervisor?.stop();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
}

if (import.meta.main) {
  main().catch((err) => {
    log.error("gateway failed to start", { error: (err as Error).message });
    Deno.exit(1);
  });
}
