// The real gateway (Janus, SIP on 127.0.0.1) and the real web app wired to each other on loopback,
// for SIP tests and bench/sip.ts: free ports, a shared secret, the web app's KV opened for seeding.

import type { Store } from "../../lib/common/store.ts";
import { freePort, type RunningGateway, startGateway } from "./gateway.ts";
import { type RunningServer, startServer } from "./server.ts";

export interface LoopbackSipStack {
  web: RunningServer;
  gw: RunningGateway & { sipPort: number };
  /** The web app's KV (for seeding and checks). */
  kv: Store;
  /** SIP_RTP_PORT_RANGE of this run. */
  rtpRange: [number, number];
  /** Closes the KV, stops the web app (removing its data), then the gateway. */
  stop(): Promise<void>;
}

/**
 * Starts the gateway with SIP on a free 127.0.0.1 port and `rtpPorts` relay ports from `rtpBase`
 * up (random blocks, so runs do not collide), then the web app pointed at it. `gatewayEnv` adds to
 * or overrides the gateway's environment (DID, outbound proxy, Janus ports…).
 */
export async function startLoopbackSipStack(opts: {
  rtpBase: number;
  rtpPorts: number;
  /** How many blocks of `rtpPorts` above rtpBase to pick one from at random. */
  rtpBlocks: number;
  gatewayEnv?: Record<string, string>;
}): Promise<LoopbackSipStack> {
  const webPort = freePort();
  const sipPort = freePort();
  const lo = opts.rtpBase + Math.floor(Math.random() * opts.rtpBlocks) * opts.rtpPorts;
  const rtpRange: [number, number] = [lo, lo + opts.rtpPorts - 1];
  const secret = crypto.randomUUID();
  const gw = await startGateway({
    GATEWAY_SECRET: secret,
    SIP_PORT: String(sipPort),
    SIP_HOST: "127.0.0.1",
    SIP_ADVERTISED_HOST: "127.0.0.1",
    SIP_RTP_PORT_RANGE: `${rtpRange[0]}-${rtpRange[1]}`,
    WEB_INTERNAL_URL: `http://127.0.0.1:${webPort}`,
    TALKSPACE_LOG: "",
    ...opts.gatewayEnv,
  });
  let web: RunningServer;
  try {
    web = await startServer({
      PORT: String(webPort),
      GATEWAY_URL: gw.url,
      GATEWAY_SECRET: secret,
      JANUS_WS_URL: gw.janusWsUrl,
      TALKSPACE_LOG: "quiet",
    });
  } catch (err) {
    await gw.stop();
    throw err;
  }
  const kv = await Deno.openKv(`${web.dataDir}/talkspace.kv`);
  return {
    web,
    gw: Object.assign(gw, { sipPort }),
    kv,
    rtpRange,
    async stop() {
      kv.close();
      await web.stop();
      await Deno.remove(web.dataDir, { recursive: true }).catch(() => {});
      await gw.stop();
    },
  };
}
