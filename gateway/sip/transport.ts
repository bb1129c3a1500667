// SIP over UDP and TCP (RFC 3261 §18): listeners, stream framing by Content-Length, and where a
// response goes (§18.2.2 with RFC 3581 rport). Hands raw message bytes up; knows nothing of SIP state.

import { logger } from "../../lib/common/log.ts";
import { headerEnd } from "./message.ts";

const log = logger("sip-transport");

export type TransportName = "udp" | "tcp";

/** Where a message came from or goes to. `connection` pins a TCP message to one connection. */
export interface Peer {
  transport: TransportName;
  ip: string;
  port: number;
  connection?: number;
}

export interface TransportOptions {
  host: string;
  /** 0 picks a free port (the same for UDP and TCP). */
  port: number;
  udp?: boolean;
  tcp?: boolean;
  /** Larger messages are dropped (UDP) or close the connection (TCP). */
  maxMessageBytes?: number;
  /** A TCP connection without a complete message for this long is closed. */
  tcpIdleMs?: number;
}

export type MessageSink = (bytes: Uint8Array, from: Peer) => void;

const CONTENT_LENGTH = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im;

interface TcpConnection {
  id: number;
  conn: Deno.TcpConn;
  peer: Peer;
  lastActive: number;
  /** Writes in flight: a peer that half-closes right after its request still gets the response. */
  writes: Set<Promise<unknown>>;
}

export class SipTransport {
  #options: Required<TransportOptions>;
  #sink: MessageSink;
  #udp: Deno.DatagramConn | null = null;
  #tcp: Deno.TcpListener | null = null;
  #connections = new Map<number, TcpConnection>();
  #nextConnection = 1;
  #closed = false;
  #loops: Promise<void>[] = [];
  port = 0;

  constructor(options: TransportOptions, sink: MessageSink) {
    this.#options = {
      host: options.host,
      port: options.port,
      udp: options.udp ?? true,
      tcp: options.tcp ?? true,
      maxMessageBytes: options.maxMessageBytes ?? 65_535,
      tcpIdleMs: options.tcpIdleMs ?? 120_000,
    };
    this.#sink = sink;
  }

  get host(): string {
    return this.#options.host;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Binds the listeners; with port 0 retries until UDP and TCP get the same free port. */
  start(): void {
    const { host, udp, tcp } = this.#options;
    for (let attempt = 0; attempt < 20; attempt++) {
      let u: Deno.DatagramConn | null = null;
      try {
        u = udp ? Deno.listenDatagram({ transport: "udp", hostname: host, port: this.#options.port }) : null;
        const port = u ? (u.addr as Deno.NetAddr).port : this.#options.port;
        const t = tcp ? Deno.listen({ transport: "tcp", hostname: host, port }) : null;
        this.#udp = u;
        this.#tcp = t;
        this.port = port || (t ? (t.addr as Deno.NetAddr).port : 0);
        break;
      } catch (err) {
        u?.close();
        if (this.#options.port !== 0 || attempt === 19) throw err;
      }
    }
    if (this.#udp) this.#loops.push(this.#udpLoop(this.#udp));
    if (this.#tcp) this.#loops.push(this.#acceptLoop(this.#tcp));
    log.info("listening", { host, port: this.port, udp: !!this.#udp, tcp: !!this.#tcp });
  }

  async stop(): Promise<void> {
    this.#closed = true;
    try {
      this.#udp?.close();
    } catch { /* already closed */ }
    try {
      this.#tcp?.close();
    } catch { /* already closed */ }
    for (const c of this.#connections.values()) this.#closeConnection(c);
    await Promise.allSettled(this.#loops);
  }

  async #udpLoop(sock: Deno.DatagramConn): Promise<void> {
    while (!this.#closed) {
      let data: Uint8Array, addr: Deno.Addr;
      try {
        [data, addr] = await sock.receive();
      } catch (err) {
        if (!this.#closed) log.error("udp receive failed", { error: String(err) });
        return;
      }
      const a = addr as Deno.NetAddr;
      if (data.length > this.#options.maxMessageBytes) {
        log.warn("oversized datagram dropped", { ip: a.hostname, bytes: data.length });
        continue;
      }
      // Keepalive CRLFs (RFC 5626) carry no message.
      if (data.every((b) => b === 13 || b === 10)) continue;
      this.#deliver(data, { transport: "udp", ip: a.hostname, port: a.port });
    }
  }

  async #acceptLoop(listener: Deno.TcpListener): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (!this.#closed) log.error("tcp accept failed", { error: String(err) });
        return;
      }
      this.#adopt(conn);
    }
  }

  #adopt(conn: Deno.TcpConn): TcpConnection {
    const a = conn.remoteAddr as Deno.NetAddr;
    const id = this.#nextConnection++;
    const c: TcpConnection = {
      id,
      conn,
      peer: { transport: "tcp", ip: a.hostname, port: a.port, connection: id },
      lastActive: Date.now(),
      writes: new Set(),
    };
    this.#connections.set(id, c);
    this.#loops.push(this.#readLoop(c));
    return c;
  }

  /** Frames messages on a stream by Content-Length; anything unframeable closes the connection. */
  async #readLoop(c: TcpConnection): Promise<void> {
    const max = this.#options.maxMessageBytes;
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(16_384);
    let idle: ReturnType<typeof setTimeout> | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        log.info("idle tcp connection closed", { ip: c.peer.ip, port: c.peer.port });
        this.#closeConnection(c);
      }, this.#options.tcpIdleMs);
    };
    armIdle();
    try {
      while (!this.#closed) {
        const n = await c.conn.read(chunk);
        if (n === null) break;
        c.lastActive = Date.now();
        armIdle();
        const next = new Uint8Array(buf.length + n);
        next.set(buf);
        next.set(chunk.subarray(0, n), buf.length);
        buf = next;
        while (buf.length > 0) {
          // Skip keepalive CRLFs between messages.
          let skip = 0;
          while (skip < buf.length && (buf[skip] === 13 || buf[skip] === 10)) skip++;
          if (skip) buf = buf.subarray(skip);
          const end = headerEnd(buf);
          if (end < 0) {
            if (buf.length > max) throw new Error("header section exceeds the maximum message size");
            break;
          }
          const head = new TextDecoder().decode(buf.subarray(0, end));
          const m = CONTENT_LENGTH.exec(head);
          // §18.3: on streams Content-Length is mandatory; without it (or unreadable) we cannot frame.
          if (m && !/^\d{1,9}$/.test(m[1])) throw new Error(`unframeable Content-Length ${JSON.stringify(m[1])}`);
          const length = m ? Number(m[1]) : 0;
          if (end + 4 + length > max) throw new Error(`message of ${end + 4 + length} bytes exceeds ${max}`);
          if (buf.length < end + 4 + length) break;
          const message = buf.slice(0, end + 4 + length);
          buf = buf.subarray(end + 4 + length);
          this.#deliver(message, c.peer);
        }
      }
    } catch (err) {
      if (!this.#closed) log.warn("tcp connection closed on error", { ip: c.peer.ip, error: String(err) });
    } finally {
      clearTimeout(idle);
      await Promise.allSettled([...c.writes]);
      this.#closeConnection(c);
    }
  }

  #closeConnection(c: TcpConnection): void {
    if (!this.#connections.delete(c.id)) return;
    try {
      c.conn.close();
    } catch { /* already closed */ }
  }

  #deliver(bytes: Uint8Array, from: Peer): void {
    try {
      this.#sink(bytes, from);
    } catch (err) {
      // The receive path must survive anything a peer sends.
      log.error("message handler threw", { error: err instanceof Error ? err.stack : String(err) });
    }
  }

  /**
   * Sends one message. TCP: on the pinned connection if it is still open, else any open connection
   * to that address, else a new one (responses per §18.2.2 step 1, requests per §18.1.1).
   */
  async send(to: Peer, data: Uint8Array): Promise<void> {
    if (this.#closed) throw new Error("transport stopped");
    if (to.transport === "udp") {
      if (!this.#udp) throw new Error("UDP is not enabled");
      await this.#udp.send(data, { transport: "udp", hostname: to.ip, port: to.port });
      return;
    }
    let c = to.connection ? this.#connections.get(to.connection) : undefined;
    if (!c) {
      c = [...this.#connections.values()].find((x) => x.peer.ip === to.ip && x.peer.port === to.port);
    }
    if (!c) c = this.#adopt(await Deno.connect({ transport: "tcp", hostname: to.ip, port: to.port }));
    const conn = c;
    const write = (async () => {
      let written = 0;
      while (written < data.length) written += await conn.conn.write(data.subarray(written));
    })();
    conn.writes.add(write);
    try {
      await write;
    } finally {
      conn.writes.delete(write);
    }
  }
}

/** The top Via's fields that decide where a response goes. */
export interface ViaInfo {
  transport: string;
  host: string;
  port?: number;
  rport?: number | null;
  received?: string;
  maddr?: string;
}

/**
 * §18.2.2 with RFC 3581: reliable → the connection the request came on; maddr → there;
 * rport → source IP and port; else the source IP (our `received`) and the sent-by port (5060).
 */
export function responseTarget(via: ViaInfo, source: Peer): Peer {
  if (source.transport === "tcp") return source;
  if (via.maddr) return { transport: "udp", ip: via.maddr, port: via.port ?? 5060 };
  if (via.rport !== undefined) return { transport: "udp", ip: source.ip, port: source.port };
  return { transport: "udp", ip: source.ip, port: via.port ?? 5060 };
}

/**
 * Rewrites a raw top Via value for the response path (§18.2.1, RFC 3581 §4): `received` when the
 * sent-by host is not the source address, and `rport=<source port>` when the client asked for it.
 */
export function stampVia(raw: string, via: ViaInfo, source: Peer): string {
  let out = raw;
  if (via.rport !== undefined) {
    out = out.replace(/;\s*rport(=[^;]*)?/i, `;rport=${source.port}`);
    if (!/;\s*received=/i.test(out)) out += `;received=${source.ip}`;
  } else if (via.host.replace(/^\[|\]$/g, "") !== source.ip && !/;\s*received=/i.test(out)) {
    out += `;received=${source.ip}`;
  }
  return out;
}
