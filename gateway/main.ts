// The gateway service beside Janus: renders Janus's config and supervises it (unless external),
// keeps the janode connection with reconnects, and serves the signed HTTP API for the web app.

import { logger } from "../lib/log.ts";
import { loadGatewayConfig } from "./config.ts";
import { createHttpApi } from "./http_api.ts";
import { renderJanusConfig } from "./janus_config.ts";
import { JanusLink } from "./janus_link.ts";
import { type JanusSupervisor, superviseJanus } from "./janus_process.ts";
import { VideoRoomManager } from "./videoroom.ts";

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

  const rooms = new VideoRoomManager(config.janusAdminKey);
  const link = new JanusLink({
    apiUrl: config.janusApiUrl,
    adminUrl: config.janusAdminUrl,
    adminSecret: config.janusAdminSecret,
  });
  link.addListener(rooms);
  link.start();

  const app = createHttpApi({
    secret: config.secret,
    rooms,
    janusConnected: () => link.connected,
    janusUrl: config.janusPublicUrl,
    iceServers: config.iceServers,
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
