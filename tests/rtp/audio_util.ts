// Test helpers: tones, a Goertzel detector, and UDP sockets that collect RTP.

import { parseRtp, type RtpPacket } from "../../gateway/rtp/packet.ts";

/** A sine tone of `n` samples at `rate`, starting at sample index `start` (so chunks join seamlessly). */
export function tone(freq: number, n: number, amplitude = 8000, rate = 8000, start = 0): Int16Array {
  return Int16Array.from(
    { length: n },
    (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * freq * (start + i)) / rate)),
  );
}

/** Relative power at `freq` (Goertzel), normalized so a full-scale sine gives about 0.25. */
export function goertzel(samples: ArrayLike<number>, freq: number, rate = 8000): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0, s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] / 32768 + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return power / (samples.length * samples.length);
}

export interface Collector {
  port: number;
  packets: { packet: RtpPacket; from: Deno.NetAddr; at: number }[];
  socket: Deno.DatagramConn;
  send(data: Uint8Array, port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

/** A UDP socket on loopback that records every RTP packet it receives. */
export function collector(): Collector {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const packets: Collector["packets"] = [];
  let open = true;
  const loop = (async () => {
    while (open) {
      try {
        const [data, from] = await socket.receive();
        const packet = parseRtp(data.slice());
        if (packet) packets.push({ packet, from: from as Deno.NetAddr, at: performance.now() });
      } catch {
        return;
      }
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    packets,
    socket,
    send: (data, port, host = "127.0.0.1") => socket.send(data, { transport: "udp", hostname: host, port }),
    async close() {
      open = false;
      socket.close();
      await loop;
    },
  };
}

/** Polls until `check` is truthy (no fixed sleeps in tests). */
export async function until<T>(what: string, check: () => T, timeoutMs = 5000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const v = check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
