// The per-call RTP relay between a SIP caller and the AudioBridge: symmetric RTP latching toward
// the caller, 20 ms G.711 toward Janus, RFC 4733 digits taken out (Janus would drop them anyway),
// the caller's speaking state measured here (Janus sends no talking events for plain RTP), one
// outgoing stream to the caller shared by Janus's mix and prompts, and loss/jitter counters.

import { logger } from "../../lib/common/log.ts";
import { decodeG711, type G711Codec, g711LevelDbov, SILENCE_BYTE } from "./g711.ts";
import { buildRtp, DtmfDetector, isRtcp, parseRtp } from "./packet.ts";
import { G711Repacketizer, OutgoingStream, ReceiveStats, SpeakingDetector, type SpeakingOptions } from "./stream.ts";
import { listenUdpOnFreePorts, RelaySockets } from "./socket.ts";
import { randomUint16, randomUint32 } from "../../lib/common/random.ts";

const log = logger("rtp-relay");

export type RelayCodec = G711Codec | "opus";

export const CLOCK_RATE: Record<RelayCodec, number> = { pcmu: 8000, pcma: 8000, opus: 48000 };
export const STATIC_PAYLOAD_TYPE: Record<RelayCodec, number | null> = { pcmu: 0, pcma: 8, opus: null };

export interface UdpAddress {
  host: string;
  port: number;
}

/** The address a relay socket is bound to (what goes into an SDP or a Janus request). */
export function boundAddress(conn: Deno.DatagramConn): UdpAddress {
  const a = conn.addr as Deno.NetAddr;
  return { host: a.hostname, port: a.port };
}

export interface RelayOptions {
  /** For log lines only. */
  callId: string;
  codec: RelayCodec;
  /** The payload type negotiated with the caller for `codec`. */
  payloadType: number;
  /** The negotiated telephone-event payload type (RFC 4733), if any. */
  telephoneEventPayloadType?: number | null;
  /** Where the caller's SDP says to send media; replaced by the first packet's source (latching). */
  callerSdpAddress?: UdpAddress | null;
  /** Address the caller-facing socket binds to (the one the SDP answer advertises). */
  callerBindHost?: string;
  /** Address the Janus-facing socket binds to (Janus sends the bridge mix here). */
  janusBindHost?: string;
  /** A latched source silent this long may be replaced by a new one (NAT rebinding). */
  relatchAfterMs?: number;
  speaking?: SpeakingOptions;
}

export interface RelayEvents {
  digit: { digit: string; timestamp: number };
  speaking: { speaking: boolean; levelDbov: number };
  latched: UdpAddress;
}

export interface RelayStats {
  callerIn: { packets: number; bytes: number; lost: number; duplicates: number; jitterMs: number; ssrc: number | null };
  toJanus: { packets: number; frames: number; late: number; paddedSamples: number };
  janusIn: { packets: number; lost: number; duplicates: number; jitterMs: number };
  toCaller: { packets: number; ssrc: number };
  dtmfPackets: number;
  rtcpPackets: number;
  /** Packets from addresses that are neither the latched caller nor Janus. */
  foreignPackets: number;
  sendErrors: number;
  latchedTo: UdpAddress | null;
  levelDbov: number;
  speaking: boolean;
}

export type RelayState = "open" | "closed";

type Listener<K extends keyof RelayEvents> = (event: RelayEvents[K]) => void;

/** Who may feed the caller's outgoing stream: Janus's mix, or a local player (prompt, hold music). */
export type CallerSource = "janus" | "player";

export class RtpRelay {
  state: RelayState = "open";
  readonly clockRate: number;
  #options: RelayOptions;
  #caller: Deno.DatagramConn;
  #janus: Deno.DatagramConn;
  #callerTarget: UdpAddress | null;
  #latched = false;
  #lastFromCallerAt = 0;
  #janusTarget: (UdpAddress & { payloadType: number }) | null = null;
  #janusSsrc = randomUint32();
  #janusSeq = randomUint16();
  #opusSeqOffset: number | null = null;
  #repacketizer: G711Repacketizer | null;
  #callerStats: ReceiveStats;
  #janusStats: ReceiveStats;
  #toJanus = { packets: 0, frames: 0 };
  #toCaller: OutgoingStream;
  #dtmf = new DtmfDetector();
  #speaking: SpeakingDetector;
  #counters = { dtmfPackets: 0, rtcpPackets: 0, foreignPackets: 0 };
  #source: CallerSource = "janus";
  #listeners: { [K in keyof RelayEvents]: Listener<K>[] } = { digit: [], speaking: [], latched: [] };
  #sockets: RelaySockets;

  private constructor(options: RelayOptions, caller: Deno.DatagramConn, janus: Deno.DatagramConn) {
    this.#options = options;
    this.#caller = caller;
    this.#janus = janus;
    this.clockRate = CLOCK_RATE[options.codec];
    this.#callerTarget = options.callerSdpAddress ?? null;
    this.#repacketizer = options.codec === "opus" ? null : new G711Repacketizer(options.codec, this.clockRate / 50);
    this.#callerStats = new ReceiveStats(this.clockRate);
    this.#janusStats = new ReceiveStats(this.clockRate);
    this.#toCaller = new OutgoingStream(this.clockRate);
    this.#speaking = new SpeakingDetector(options.speaking);
    this.#sockets = new RelaySockets(this, log, options.callId);
    this.#sockets.receive(caller, (data, from) => this.#fromCaller(data, from));
    this.#sockets.receive(janus, (data, from) => this.#fromJanus(data, from));
  }

  /** Opens both sockets on free ports. */
  static open(options: RelayOptions): RtpRelay {
    const [caller, janus] = listenUdpOnFreePorts(
      options.callerBindHost ?? "127.0.0.1",
      options.janusBindHost ?? "127.0.0.1",
    );
    return new RtpRelay(options, caller, janus);
  }

  get callId(): string {
    return this.#options.callId;
  }

  get codec(): RelayCodec {
    return this.#options.codec;
  }

  /** The caller-facing address (goes into the SDP answer). */
  get callerAddress(): UdpAddress {
    return boundAddress(this.#caller);
  }

  /** The Janus-facing address (the AudioBridge plain-RTP participant's `rtp.ip`/`rtp.port`). */
  get janusSideAddress(): UdpAddress {
    return boundAddress(this.#janus);
  }

  on<K extends keyof RelayEvents>(event: K, listener: Listener<K>) {
    this.#listeners[event].push(listener);
  }

  #emit<K extends keyof RelayEvents>(event: K, value: RelayEvents[K]) {
    for (const l of this.#listeners[event]) {
      try {
        l(value);
      } catch (err) {
        log.error("relay listener failed", { callId: this.callId, event, error: (err as Error).message });
      }
    }
  }

  /** Starts sending the caller's audio to the AudioBridge participant at `target`. */
  connectJanus(target: UdpAddress & { payloadType: number }) {
    this.#janusTarget = target;
    // Janus sends a plain-RTP participant nothing until it has heard from it, and a callee that
    // waits to hear something before it talks (or only echoes) would hear nothing: one 20 ms
    // frame of silence opens the path.
    const codec = this.#options.codec;
    if (codec !== "opus") {
      this.#janusSeq = (this.#janusSeq + 1) & 0xffff;
      const silence = new Uint8Array(160).fill(SILENCE_BYTE[codec]);
      this.#sockets.send(
        this.#janus,
        buildRtp(target.payloadType, this.#janusSeq, 0, this.#janusSsrc, silence),
        target,
      );
    }
  }

  /** Stops sending to Janus (the participant left); the caller hears only the player afterwards. */
  disconnectJanus() {
    this.#janusTarget = null;
  }

  /** Chooses what the caller hears: Janus's mix or the local player (prompts, hold music). */
  setCallerSource(source: CallerSource) {
    this.#source = source;
  }

  get callerSource(): CallerSource {
    return this.#source;
  }

  /**
   * Sends one frame from the local player to the caller (already encoded in the call's codec).
   * `timestamp`/`sequence` are the player's own counters; the relay maps them into its stream.
   */
  sendFromPlayer(sequence: number, timestamp: number, payload: Uint8Array) {
    if (this.#source !== "player") return;
    this.#sendToCaller("player", sequence, timestamp, payload, payload.length);
  }

  stats(): RelayStats {
    const r = this.#repacketizer;
    return {
      callerIn: {
        packets: this.#callerStats.packets,
        bytes: this.#callerStats.bytes,
        lost: this.#callerStats.lost,
        duplicates: this.#callerStats.duplicates,
        jitterMs: this.#callerStats.jitterMs,
        ssrc: this.#callerStats.ssrc,
      },
      toJanus: { ...this.#toJanus, late: r?.late ?? 0, paddedSamples: r?.paddedSamples ?? 0 },
      janusIn: {
        packets: this.#janusStats.packets,
        lost: this.#janusStats.lost,
        duplicates: this.#janusStats.duplicates,
        jitterMs: this.#janusStats.jitterMs,
      },
      toCaller: { packets: this.#toCaller.packets, ssrc: this.#toCaller.ssrc },
      ...this.#counters,
      sendErrors: this.#sockets.sendErrors,
      latchedTo: this.#latched ? this.#callerTarget : null,
      levelDbov: this.#speaking.level,
      speaking: this.#speaking.speaking,
    };
  }

  /** Closes both sockets and waits for the receive loops to end. Idempotent. */
  async close() {
    if (this.state === "closed") return;
    this.state = "closed";
    this.#janusTarget = null;
    await this.#sockets.close();
    log.info("relay closed", { callId: this.callId, ...this.#summary() });
  }

  #summary() {
    const s = this.stats();
    return { callerPackets: s.callerIn.packets, callerLost: s.callerIn.lost, toCaller: s.toCaller.packets };
  }

  // --- caller → Janus ------------------------------------------------------------------------------

  #fromCaller(data: Uint8Array, from: Deno.NetAddr) {
    const now = performance.now();
    if (!this.#acceptFromCaller(from, now)) return;
    if (isRtcp(data)) {
      // rtcp-mux: receiver reports are not needed by Janus (it gets none for plain RTP either).
      this.#counters.rtcpPackets++;
      return;
    }
    const packet = parseRtp(data);
    if (!packet) return;
    // DTMF and comfort noise share the audio's sequence numbers: count them all, or they look lost.
    this.#callerStats.record(packet.ssrc, packet.sequence, packet.timestamp, data.length, now);
    if (packet.payloadType === this.#options.telephoneEventPayloadType) {
      this.#counters.dtmfPackets++;
      const digit = this.#dtmf.push(packet.timestamp, packet.payload);
      if (digit) this.#emit("digit", digit);
      return;
    }
    if (packet.payloadType !== this.#options.payloadType) return; // comfort noise, unknown codecs
    const codec = this.#options.codec;
    if (codec !== "opus") {
      const change = this.#speaking.push(g711LevelDbov(codec, packet.payload), (packet.payload.length * 1000) / 8000);
      if (change) this.#emit("speaking", { speaking: change === "speaking", levelDbov: this.#speaking.level });
    }
    const target = this.#janusTarget;
    if (!target) return;
    if (this.#repacketizer) {
      for (const frame of this.#repacketizer.push(packet.timestamp, packet.payload)) {
        this.#janusSeq = (this.#janusSeq + 1) & 0xffff;
        this.#sockets.send(
          this.#janus,
          buildRtp(target.payloadType, this.#janusSeq, frame.timestamp, this.#janusSsrc, frame.payload),
          target,
        );
        this.#toJanus.frames++;
      }
    } else {
      // Opus frames pass through; only the SSRC and sequence base are ours, so a new caller SSRC
      // (re-INVITE) does not look like a new stream to Janus.
      if (this.#opusSeqOffset === null) this.#opusSeqOffset = (this.#janusSeq - packet.sequence) & 0xffff;
      const seq = (packet.sequence + this.#opusSeqOffset) & 0xffff;
      this.#sockets.send(
        this.#janus,
        buildRtp(target.payloadType, seq, packet.timestamp, this.#janusSsrc, packet.payload, packet.marker),
        target,
      );
    }
    this.#toJanus.packets++;
  }

  /** Symmetric RTP: the first packet's source becomes where we send; later others are ignored. */
  #acceptFromCaller(from: Deno.NetAddr, now: number): boolean {
    const target = this.#callerTarget;
    const same = target !== null && target.host === from.hostname && target.port === from.port;
    if (this.#latched && !same) {
      const relatchAfter = this.#options.relatchAfterMs ?? 2000;
      if (now - this.#lastFromCallerAt < relatchAfter) {
        this.#counters.foreignPackets++;
        return false;
      }
    }
    if (!this.#latched || !same) {
      this.#callerTarget = { host: from.hostname, port: from.port };
      this.#latched = true;
      log.info("latched to caller", { callId: this.callId, host: from.hostname, port: from.port });
      this.#emit("latched", this.#callerTarget);
    }
    this.#lastFromCallerAt = now;
    return true;
  }

  // --- Janus → caller ------------------------------------------------------------------------------

  #fromJanus(data: Uint8Array, _from: Deno.NetAddr) {
    // The Janus-facing socket is bound to a private address (loopback by default); Janus may send
    // from another of its addresses than the one it announced, so only "connected or not" counts.
    if (!this.#janusTarget) {
      this.#counters.foreignPackets++;
      return;
    }
    if (isRtcp(data)) {
      this.#counters.rtcpPackets++;
      return;
    }
    const packet = parseRtp(data);
    if (!packet) return;
    this.#janusStats.record(packet.ssrc, packet.sequence, packet.timestamp, data.length, performance.now());
    if (this.#source !== "janus") return;
    // Janus already sends 20 ms packets, which every caller accepts: pass the payload through.
    this.#sendToCaller(`janus:${packet.ssrc}`, packet.sequence, packet.timestamp, packet.payload, 0);
  }

  #sendToCaller(source: string, sequence: number, timestamp: number, payload: Uint8Array, samples: number) {
    const target = this.#callerTarget;
    if (!target || this.state !== "open") return;
    const n = samples || (this.#options.codec === "opus" ? this.clockRate / 50 : payload.length);
    const out = this.#toCaller.next(source, sequence, timestamp, n, performance.now());
    this.#sockets.send(
      this.#caller,
      buildRtp(this.#options.payloadType, out.sequence, out.timestamp, this.#toCaller.ssrc, payload, out.marker),
      target,
    );
  }
}

/** Decodes the payload of a G.711 packet (for tests and diagnostics). */
export function decodePayload(codec: G711Codec, payload: Uint8Array): Int16Array {
  return decodeG711(codec, payload);
}
