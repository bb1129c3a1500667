// The receive loop every relay socket runs: datagrams until the owner closes, a handler that throws
// logged and the loop kept (one bad packet must not stop a call's media).

import type { logger } from "../../lib/common/log.ts";

/** The largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65_507;

/** Receives on `conn` while `open()`; a receive error while open ends the loop (logged), as does close. */
export async function receiveLoop(
  conn: Deno.DatagramConn,
  open: () => boolean,
  handle: (data: Uint8Array, from: Deno.NetAddr) => void,
  log: ReturnType<typeof logger>,
  fields: Record<string, unknown>,
): Promise<void> {
  // One receive buffer per socket, and each datagram copied out at its size: without a buffer,
  // Deno's receive() allocates 64 KB per datagram (~3 MB/s per caller at 50 packets/s, which took
  // the gateway from 79 to 161 MB with 30 IVR callers, issue 12).
  const buffer = new Uint8Array(MAX_DATAGRAM);
  while (open()) {
    let received: [Uint8Array, Deno.Addr];
    try {
      const [view, from] = await conn.receive(buffer);
      received = [view.slice(), from];
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
