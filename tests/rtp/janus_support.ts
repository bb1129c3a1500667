// Test support: a Janus of our own (the gateway's rendered config, AudioBridge and VideoRoom
// enabled) with the gateway's janode link and managers in this process, so tests can drive the
// AudioBridge/VideoRoom modules and relays directly. Plain RTP to Janus works on loopback.

import { setQuiet } from "../../lib/common/log.ts";
import { AudioBridgeManager } from "../../gateway/plugins/audiobridge.ts";
import { loadGatewayConfig } from "../../gateway/config.ts";
import { renderJanusConfig } from "../../gateway/janus/config.ts";
import { JanusLink } from "../../gateway/janus/link.ts";
import { startJanus } from "../../gateway/janus/process.ts";
import { freePort } from "../support/gateway.ts";
import { VideoRoomManager } from "../../gateway/plugins/videoroom.ts";

export interface TestJanus {
  link: JanusLink;
  bridges: AudioBridgeManager;
  rooms: VideoRoomManager;
  dataDir: string;
  /** Janus's process id. */
  pid: number;
  stop(): Promise<void>;
}

export async function startTestJanus(): Promise<TestJanus> {
  setQuiet(Deno.env.get("RTP_TEST_VERBOSE") !== "1");
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-rtp-" });
  const rtpBase = 40000 + Math.floor(Math.random() * 200) * 100;
  const config = loadGatewayConfig({
    GATEWAY_SECRET: crypto.randomUUID(),
    DATA_DIR: dataDir,
    JANUS_WS_PORT: String(freePort()),
    JANUS_ADMIN_WS_PORT: String(freePort()),
    JANUS_RTP_PORT_RANGE: `${rtpBase}-${rtpBase + 99}`,
    JANUS_DEBUG_LEVEL: Deno.env.get("RTP_TEST_VERBOSE") === "1" ? "4" : "2",
  });
  const configDir = await renderJanusConfig(config);
  const janus = await startJanus({ binary: config.janusBinary, configDir, probeUrl: config.janusApiUrl });
  const link = new JanusLink({
    apiUrl: config.janusApiUrl,
    adminUrl: config.janusAdminUrl,
    adminSecret: config.janusAdminSecret,
  });
  const rooms = new VideoRoomManager(config.janusAdminKey, config.janusPlainRtpIp);
  const bridges = new AudioBridgeManager(config.janusAdminKey);
  link.addListener(rooms);
  link.addListener(bridges);
  link.start();
  try {
    await Promise.race([
      link.whenConnected(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("janode link did not connect")), 15_000)),
    ]);
  } catch (err) {
    await link.stop();
    await janus.stop();
    throw err;
  }
  return {
    link,
    bridges,
    rooms,
    dataDir,
    pid: janus.pid,
    async stop() {
      await link.stop();
      await janus.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
