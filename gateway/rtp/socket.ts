// The receive loop every relay socket runs: datagrams until the owner closes, a handler that throws
// logged and the loop kept (one bad packet must not stop a call's media).

import type { logger } from "../../lib/common/log.ts";

/** Receives on `conn` while `open()`; a receive error while open ends the loop (logged), as does close. */
export async function receiveLoop(
  conn: Deno.DatagramConn,
  open: () => boolean,
  handle: (data: Uint8Array, from: Deno.NetAddr) => void,
  log: ReturnType<typeof logger>,
  fields: Record<string, unknown>,
): Promise<void> {
  while (open()) {
    let received: [Uint8Array, Deno.Addr];
    try {
      received = await conn.receive();
    } catch (err) {
      if (open()) log.error("receive failed", { ...fields, error: (err as Error).message });
      return;
    }
    try {
      handle(received[0], received[1] as Deno.NetAddr);
    } catch (err) {
      log.error("packet handling failed", { ...fields, error: (err as Error).message });
    }
  }
}
