// The sockets of the relays: bound on free ports all at once or not at all, each running a receive
// loop (datagrams until the owner closes, a handler that throws logged and the loop kept: one bad
// packet must not stop a call's media), sends that never wait, and closing them all together.

import type { logger } from "../../lib/common/log.ts";

/** The largest UDP payload over IPv4. */
const MAX_DATAGRAM = 65_507;

/**
 * One UDP socket on a free port per host, in order. All or none: when one cannot be bound, the ones
 * already bound are closed before the error is thrown.
 */
export function listenUdpOnFreePorts(...hosts: string[]): Deno.DatagramConn[] {
  const bound: Deno.DatagramConn[] = [];
  try {
    for (const hostname of hosts) bound.push(Deno.listenDatagram({ transport: "udp", hostname, port: 0 }));
  } catch (err) {
    for (const conn of bound) conn.close();
    throw err;
  }
  return bound;
}

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

/**
 * One relay's sockets while the relay is open: each runs a receive loop, sends never wait (a failed
 * one is counted unless the relay has closed meanwhile), and close() closes them all and waits for
 * their loops to end.
 */
export class RelaySockets {
  /** Sends that failed while the relay was open. */
  sendErrors = 0;
  #conns: Deno.DatagramConn[] = [];
  #loops: Promise<void>[] = [];

  constructor(
    readonly relay: { readonly state: "open" | "closed" },
    readonly log: ReturnType<typeof logger>,
    readonly callId: string,
  ) {}

  /** Hands each datagram `conn` receives to `handle` until close(). */
  receive(conn: Deno.DatagramConn, handle: (data: Uint8Array, from: Deno.NetAddr) => void): void {
    this.#conns.push(conn);
    this.#loops.push(receiveLoop(conn, () => this.relay.state === "open", handle, this.log, { callId: this.callId }));
  }

  send(conn: Deno.DatagramConn, data: Uint8Array, to: { host: string; port: number }): void {
    conn.send(data, { transport: "udp", hostname: to.host, port: to.port }).catch(() => {
      if (this.relay.state === "open") this.sendErrors++;
    });
  }

  async close(): Promise<void> {
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch { /* already closed */ }
    }
    await Promise.all(this.#loops);
  }
}
