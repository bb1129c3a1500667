// Talkspace web: opens KV, builds the app and serves it.

import { loadConfig } from "./lib/common/config.ts";
import { openKv } from "./lib/common/kv.ts";
import { createWebApp } from "./routes/mod.ts";
import { loadSigningKey } from "./lib/common/server_secret.ts";
import { configureTotpEncryption, resealTotpSecrets } from "./lib/accounts/totp.ts";
import { createMailer } from "./lib/email/mod.ts";
import { logger } from "./lib/common/log.ts";
import { createGatewayClient } from "./lib/meetings/gateway_client.ts";
import { closeHub } from "./lib/meetings/hub.ts";
import { startBackgroundWork } from "./lib/reminders/background.ts";
import { accountMailHandler } from "./lib/accounts/emails.ts";
import * as schedule from "./lib/scheduling/occurrences.ts";
import { recordingQueueHandler, sweepExpiredRecordings } from "./lib/recordings/service.ts";
import { getMeeting } from "./lib/meetings/store.ts";
import { recordingNoticeHandler } from "./lib/recordings/notices.ts";

const log = logger("main");

if (import.meta.main) {
  const config = loadConfig();
  const kv = await openKv(config);
  const signingKey = await loadSigningKey(kv, config.secretKey);
  await configureTotpEncryption(kv, config);
  // Plain TOTP secrets from before encryption, or ones under a rotated-out key, are resealed in the
  // background; every format still reads meanwhile.
  resealTotpSecrets(kv).catch((err) => log.error("resealing TOTP secrets failed", { error: String(err) }));
  const mailer = createMailer(config, kv);
  const gateway = config.gatewaySecret
    ? createGatewayClient({ url: config.gatewayUrl, secret: config.gatewaySecret })
    : null;
  if (!gateway) log.warn("GATEWAY_SECRET is not set: meetings will have no audio or video");
  const app = createWebApp({ kv, config, mailer, signingKey, gateway });
  // The one KV queue listener of this process (reminders; more work joins through its handlers).
  const recordings = { kv, engine: gateway, retentionDays: config.recordingRetentionDays };
  const background = startBackgroundWork({ kv, config, mailer, schedule }, [
    accountMailHandler(mailer),
    recordingQueueHandler({ ...recordings, meetingOf: (id) => getMeeting(kv, id) }),
    recordingNoticeHandler({ kv, config, mailer }),
  ]);
  // Retention: recordings past their days are deleted, files first (a bounded batch an hour).
  const sweep = setInterval(() => {
    sweepExpiredRecordings(recordings).catch((err) => log.error("recording sweep failed", { error: String(err) }));
  }, 3_600_000);
  const ac = new AbortController();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(sig, () => ac.abort());
  }
  const server = Deno.serve({
    port: config.port,
    signal: ac.signal,
    onListen: ({ port, hostname }) =>
      log.info("listening", {
        url: `http://${hostname === "0.0.0.0" ? "localhost" : hostname}:${port}`,
        env: config.env,
      }),
  }, app.fetch);
  await server.finished;
  clearInterval(sweep);
  await closeHub(kv); // sockets close with 1001 so clients reconnect to another instance
  kv.close();
  await background.stopped.catch(() => {}); // listenQueue ends when KV closes
}
