// The per-call video relay for SIP room systems (docs/sip-media.md, "Room systems with video").
//
//   room system ──RTP──▶ caller socket ──(SSRC 1000 + 10 × mindex)──▶ Janus remote publisher
//   room system ◀─RTP── caller socket ◀──(own SSRC, continuous seq/ts)── rtp_forward of the speaker
//   room system ◀▶RTCP  caller RTCP socket (or rtcp-mux)   ◀▶ Janus RTCP socket (latched both ways)
//
// No transcoding: the room system's H.264 or VP8 enters Janus as it is; the speaker's video goes
// back only when the room system accepted the codec browsers publish (VP8). Key frames: Janus's
// PLIs for the remote publisher become RTCP PLI/FIR to the room system (and a "keyframe" event,
// which call control turns into SIP INFO picture_fast_update); the room system's PLI/FIR/INFO
// become a PLI on the forwarder's RTCP port, which Janus passes to the speaker's browser. After a
// speaker switch nothing is sent until the new source's key frame, so the decoder never sees a
// delta frame of a picture it does not have.
//
// Key frame requests are rate-limited each way, but never dropped: one that comes too soon is sent
// when the interval has passed. A request to the speaker is repeated every 500 ms until a key frame
// from them goes out: the browser's encoder ignores requests that come within 300 ms of the last one
// it honoured (any forwarder's, or Janus's own), so a single PLI may bring nothing.

import { logger } from "../../lib/common/log.ts";
import { isRtcp, parseRtcp, parseRtp, type RtcpPacket, serializeRtcp, serializeRtp } from "./packet.ts";
import { boundAddress, type UdpAddress } from "./relay.ts";
import { ReceiveStats } from "./stream.ts";
import { listenUdpOnFreePorts, RelaySockets } from "./socket.ts";
import { VideoTranscoder } from "./transcoder.ts";
import { randomUint16, randomUint32 } from "../../lib/common/random.ts";

const log = logger("video-relay");

export type VideoCodec = "h264" | "vp8";
export const VIDEO_CLOCK_RATE = 90000;
/** Janus 1.1 demultiplexes a remote publisher's streams by SSRC: 1000 + 10 × mindex. */
export const REMOTE_PUBLISHER_SSRC_BASE = 1000;

const RTCP_RR = 201;
const RTCP_PSFB = 206;
const PSFB_PLI = 1;
const PSFB_FIR = 4;
/** An unanswered key frame request to the speaker is repeated this often. */
const KEYFRAME_RETRY_MS = 500;

export interface VideoRelayOptions {
  callId: string;
  /** The codec the room system sends (and, when `sendToCaller`, receives). */
  codec: VideoCodec;
  /** The room system's payload type for `codec`. */
  payloadType: number;
  callerSdpAddress: UdpAddress | null;
  /** Where the SDP says RTCP goes (a=rtcp, or RTP port + 1; the RTP address with rtcp-mux). */
  callerRtcpAddress: UdpAddress | null;
  rtcpMux: boolean;
  /** The room system takes our video (it accepted VP8, the codec browsers publish). */
  sendToCaller: boolean;
  /** Feedback the room system offered (a=rtcp-fb): FIR is sent only when it asked for `ccm fir`. */
  feedback: { pli: boolean; fir: boolean };
  /** The remote publisher's stream index (its SSRC is 1000 + 10 × mindex). */
  mindex?: number;
  /**
   * Key frame requests in either direction are sent at most this often; one that comes sooner is
   * sent when the interval has passed.
   */
  keyframeIntervalMs?: number;
  /**
   * The ffmpeg binary when the room system takes H.264 only: the speaker's VP8 is transcoded
   * (gateway/rtp/transcoder.ts). Without it an H.264 system gets no video (sendToCaller false).
   */
  transcodeWith?: string | null;
}

export interface VideoRelayStats {
  fromCaller: { packets: number; bytes: number; lost: number; keyframes: number; ssrc: number | null };
  toJanus: { packets: number };
  fromJanus: { packets: number; dropped: number; keyframes: number; sources: number };
  /** VP8 → H.264 through ffmpeg (H.264-only room systems), when running. */
  transcoder: { pid: number; packetsIn: number; packetsOut: number; cpuPercent: number | null } | null;
  toCaller: { packets: number; ssrc: number };
  keyframeRequests: { fromJanus: number; toCaller: number; fromCaller: number; toJanus: number };
  rtcpFromCaller: number;
  sendErrors: number;
}

/** Whether an RTP payload starts a key frame (VP8: RFC 7741; H.264: IDR/SPS, single, STAP-A or FU-A start). */
export function isKeyframe(codec: VideoCodec, payload: Uint8Array): boolean {
  if (payload.length < 2) return false;
  if (codec === "vp8") {
    let i = 0;
    const first = payload[i++];
    const extended = (first & 0x80) !== 0;
    const start = (first & 0x10) !== 0;
    const partition = first & 0x07;
    if (!start || partition !== 0) return false;
    if (extended) {
      if (i >= payload.length) return false;
      const x = payload[i++];
      if (x & 0x80) i += (payload[i] & 0x80) ? 2 : 1; // PictureID, 7 or 15 bits
      if (x & 0x40) i++; // TL0PICIDX
      if (x & 0x30) i++; // TID/KEYIDX
    }
    return i < payload.length && (payload[i] & 0x01) === 0;
  }
  const nal = payload[0] & 0x1f;
  if (nal === 5 || nal === 7) return true;
  if (nal === 24) {
    // STAP-A: 16-bit sizes, each followed by a NAL unit.
    let i = 1;
    while (i + 2 < payload.length) {
      const size = (payload[i] << 8) | payload[i + 1];
      const t = payload[i + 2] & 0x1f;
      if (t === 5 || t === 7) return true;
      i += 2 + size;
    }
    return false;
  }
  if (nal === 28) return (payload[1] & 0x80) !== 0 && ((payload[1] & 0x1f) === 5 || (payload[1] & 0x1f) === 7);
  return false;
}

/** One RTCP PSFB packet: PLI, or FIR with one FCI entry (RFC 4585 §6.3.1, RFC 5104 §4.3.1). */
function keyframeRequest(kind: "pli" | "fir", sender: number, media: number, firSeq = 0): RtcpPacket {
  if (kind === "pli") {
    const body = new Uint8Array(4);
    new DataView(body.buffer).setUint32(0, media >>> 0);
    return { count: PSFB_PLI, type: RTCP_PSFB, ssrc: sender, body, padding: 0 };
  }
  const body = new Uint8Array(12); // media SSRC 0, then FCI: SSRC + seq nr + reserved
  const view = new DataView(body.buffer);
  view.setUint32(4, media >>> 0);
  body[8] = firSeq & 0xff;
  return { count: PSFB_FIR, type: RTCP_PSFB, ssrc: sender, body, padding: 0 };
}

function emptyReceiverReport(sender: number): RtcpPacket {
  return { count: 0, type: RTCP_RR, ssrc: sender, body: new Uint8Array(0), padding: 0 };
}

type Listener = () => void;

export class VideoRelay {
  state: "open" | "closed" = "open";
  #o: VideoRelayOptions;
  #callerRtp: Deno.DatagramConn;
  #callerRtcp: Deno.DatagramConn | null;
  #janusRtp: Deno.DatagramConn;
  #janusRtcp: Deno.DatagramConn;
  #callerTarget: UdpAddress | null;
  #callerRtcpTarget: UdpAddress | null;
  #latched = false;
  #publisher: { rtp: UdpAddress; rtcp: UdpAddress | null } | null = null;
  #forwarderRtcp: UdpAddress | null = null;
  #rrTimer: ReturnType<typeof setInterval> | undefined;
  #ssrcToJanus: number;
  #ssrcToCaller = randomUint32();
  #callerStats = new ReceiveStats(VIDEO_CLOCK_RATE);
  // The outgoing stream: one SSRC, sequence and timestamp continuous across forwarded sources.
  #out = {
    seq: randomUint16(),
    ts: randomUint32(),
    source: null as number | null,
    lastInSeq: 0,
    lastInTs: 0,
    lastAt: 0,
    waitingForKeyframe: true,
  };
  #firSeq = 0;
  #lastAsk = { caller: -Infinity, janus: -Infinity };
  /** A request that came within the interval (caller), or the next repeat of an unanswered one (janus). */
  #askTimer: { caller?: ReturnType<typeof setTimeout>; janus?: ReturnType<typeof setTimeout> } = {};
  /** A key frame of the speaker is wanted (switch, the room system asked, transcoder not primed). */
  #wantFromJanus = false;
  #counters = {
    toJanus: 0,
    fromCallerKeyframes: 0,
    fromJanus: 0,
    fromJanusDropped: 0,
    fromJanusKeyframes: 0,
    sources: 0,
    toCaller: 0,
    kfFromJanus: 0,
    kfToCaller: 0,
    kfFromCaller: 0,
    kfToJanus: 0,
    rtcpFromCaller: 0,
  };
  #keyframeListeners: Listener[] = [];
  #transcoder: VideoTranscoder | null = null;
  #transcoderStarting: Promise<void> | null = null;
  #primeTimer: ReturnType<typeof setInterval> | undefined;
  #sockets: RelaySockets;

  /**
   * `callerRtp`/`callerRtcp`: the caller-facing pair (RTCP null with rtcp-mux); the Janus-facing
   * sockets are bound here on `janusBindHost`.
   */
  constructor(
    options: VideoRelayOptions,
    callerRtp: Deno.DatagramConn,
    callerRtcp: Deno.DatagramConn | null,
    janusBindHost = "127.0.0.1",
  ) {
    this.#o = options;
    this.#callerRtp = callerRtp;
    this.#callerRtcp = callerRtcp;
    [this.#janusRtp, this.#janusRtcp] = listenUdpOnFreePorts(janusBindHost, janusBindHost);
    this.#ssrcToJanus = REMOTE_PUBLISHER_SSRC_BASE + 10 * (options.mindex ?? 0);
    this.#callerTarget = options.callerSdpAddress;
    this.#callerRtcpTarget = options.rtcpMux ? options.callerSdpAddress : options.callerRtcpAddress;
    this.#sockets = new RelaySockets(this, log, options.callId);
    this.#sockets.receive(callerRtp, (d, from) => this.#fromCallerRtp(d, from));
    if (callerRtcp) this.#sockets.receive(callerRtcp, (d, from) => this.#fromCallerRtcp(d, from));
    this.#sockets.receive(this.#janusRtp, (d, from) => this.#fromJanusRtp(d, from));
    this.#sockets.receive(this.#janusRtcp, (d, from) => this.#fromJanusRtcp(d, from));
  }

  get codec(): VideoCodec {
    return this.#o.codec;
  }

  get sendsToCaller(): boolean {
    return this.#o.sendToCaller;
  }

  /** The caller-facing RTP address (the SDP's video m-line). */
  get callerAddress(): UdpAddress {
    return boundAddress(this.#callerRtp);
  }

  /** Where an rtp_forward of the speaker's video goes (`port`) and its RTCP feedback (`rtcpPort`). */
  get forwardTarget(): { host: string; port: number; rtcpPort: number } {
    return { ...boundAddress(this.#janusRtp), rtcpPort: boundAddress(this.#janusRtcp).port };
  }

  /** Janus asked for a key frame of the room system's video (call control adds SIP INFO). */
  onKeyframeRequest(listener: Listener) {
    this.#keyframeListeners.push(listener);
  }

  /**
   * Starts sending the room system's video to the remote publisher. Janus sends its PLIs to the
   * address its RTCP port last heard from, so an empty receiver report goes there now and every
   * second (it also keeps the latch after a Janus-side change).
   */
  connectPublisher(rtp: UdpAddress, rtcp: UdpAddress | null) {
    this.#publisher = { rtp, rtcp };
    clearInterval(this.#rrTimer);
    if (rtcp) {
      const rr = () =>
        this.#sockets.send(this.#janusRtcp, serializeRtcp([emptyReceiverReport(this.#ssrcToJanus)]), rtcp);
      rr();
      this.#rrTimer = setInterval(rr, 1000);
    }
    // The browsers that subscribe need a key frame to start decoding.
    this.#askCaller(true);
  }

  disconnectPublisher() {
    this.#publisher = null;
    clearInterval(this.#rrTimer);
    this.#rrTimer = undefined;
  }

  /**
   * A new forwarder (speaker switch) is about to send: hold everything until its key frame and ask
   * Janus for one as soon as the forwarder's RTCP port is known, then every half second.
   */
  expectNewSource() {
    this.#startTranscoder();
    this.#out.waitingForKeyframe = true;
    this.#forwarderRtcp = null;
    this.#keyframeFromJanus();
  }

  /** The room system asked for a key frame (SIP INFO picture_fast_update): ask the speaker's browser. */
  keyframeFromCaller() {
    this.#counters.kfFromCaller++;
    this.#keyframeFromJanus();
  }

  stats(): VideoRelayStats {
    const c = this.#counters;
    return {
      fromCaller: {
        packets: this.#callerStats.packets,
        bytes: this.#callerStats.bytes,
        lost: this.#callerStats.lost,
        keyframes: c.fromCallerKeyframes,
        ssrc: this.#callerStats.ssrc,
      },
      toJanus: { packets: c.toJanus },
      fromJanus: {
        packets: c.fromJanus,
        dropped: c.fromJanusDropped,
        keyframes: c.fromJanusKeyframes,
        sources: c.sources,
      },
      transcoder: this.#transcoder
        ? {
          pid: this.#transcoder.pid,
          packetsIn: this.#transcoder.packetsIn,
          packetsOut: this.#transcoder.packetsOut,
          cpuPercent: this.#transcoder.cpuPercent(),
        }
        : null,
      toCaller: { packets: c.toCaller, ssrc: this.#ssrcToCaller },
      keyframeRequests: {
        fromJanus: c.kfFromJanus,
        toCaller: c.kfToCaller,
        fromCaller: c.kfFromCaller,
        toJanus: c.kfToJanus,
      },
      rtcpFromCaller: c.rtcpFromCaller,
      sendErrors: this.#sockets.sendErrors,
    };
  }

  async close() {
    if (this.state === "closed") return;
    this.state = "closed";
    clearInterval(this.#rrTimer);
    clearTimeout(this.#askTimer.caller);
    clearTimeout(this.#askTimer.janus);
    clearInterval(this.#primeTimer);
    await this.#transcoderStarting?.catch(() => {});
    await this.#transcoder?.stop();
    await this.#sockets.close();
    const s = this.stats();
    log.info("video relay closed", {
      callId: this.#o.callId,
      fromCaller: s.fromCaller.packets,
      toCaller: s.toCaller.packets,
      keyframeRequests: s.keyframeRequests,
    });
  }

  // --- room system → Janus ---------------------------------------------------------------------------

  #fromCallerRtp(data: Uint8Array, from: Deno.NetAddr) {
    if (isRtcp(data)) return this.#fromCallerRtcp(data, from);
    const packet = parseRtp(data);
    if (!packet || packet.payloadType !== this.#o.payloadType) return;
    // Symmetric RTP: send back where the video comes from (NAT), whatever the SDP said.
    if (!this.#latched || this.#callerTarget?.host !== from.hostname || this.#callerTarget?.port !== from.port) {
      this.#callerTarget = { host: from.hostname, port: from.port };
      if (this.#o.rtcpMux) this.#callerRtcpTarget = this.#callerTarget;
      this.#latched = true;
    }
    this.#callerStats.record(packet.ssrc, packet.sequence, packet.timestamp, data.length, performance.now());
    if (isKeyframe(this.#o.codec, packet.payload)) this.#counters.fromCallerKeyframes++;
    const publisher = this.#publisher;
    if (!publisher) return;
    packet.ssrc = this.#ssrcToJanus;
    packet.extension = null; // the room system's extension ids mean nothing to Janus
    this.#sockets.send(this.#janusRtp, serializeRtp(packet), publisher.rtp);
    this.#counters.toJanus++;
  }

  #fromCallerRtcp(data: Uint8Array, from: Deno.NetAddr) {
    const packets = parseRtcp(data);
    if (!packets) return;
    this.#counters.rtcpFromCaller++;
    this.#callerRtcpTarget = { host: from.hostname, port: from.port };
    if (packets.some((p) => p.type === RTCP_PSFB && (p.count === PSFB_PLI || p.count === PSFB_FIR))) {
      this.#counters.kfFromCaller++;
      this.#keyframeFromJanus();
    }
  }

  /**
   * Asks the room system for a key frame: PLI (and FIR when offered) over RTCP. Within the interval
   * of the last request it is sent when the interval has passed (one for all that came meanwhile).
   */
  #askCaller(force: boolean) {
    const now = performance.now();
    const wait = this.#lastAsk.caller + (this.#o.keyframeIntervalMs ?? 500) - now;
    if (!force && wait > 0) {
      this.#askTimer.caller ??= setTimeout(() => {
        this.#askTimer.caller = undefined;
        if (this.state === "open") this.#askCaller(true);
      }, wait);
      return;
    }
    clearTimeout(this.#askTimer.caller);
    this.#askTimer.caller = undefined;
    this.#lastAsk.caller = now;
    const media = this.#callerStats.ssrc ?? 0;
    const packets: RtcpPacket[] = [emptyReceiverReport(this.#ssrcToCaller)];
    if (this.#o.feedback.pli || !this.#o.feedback.fir) packets.push(keyframeRequest("pli", this.#ssrcToCaller, media));
    if (this.#o.feedback.fir) packets.push(keyframeRequest("fir", this.#ssrcToCaller, media, this.#firSeq++));
    const target = this.#callerRtcpTarget;
    if (target) this.#sockets.send(this.#callerRtcp ?? this.#callerRtp, serializeRtcp(packets), target);
    this.#counters.kfToCaller++;
    for (const l of this.#keyframeListeners) {
      try {
        l();
      } catch (err) {
        log.error("keyframe listener failed", { callId: this.#o.callId, error: (err as Error).message });
      }
    }
  }

  // --- Janus → room system -------------------------------------------------------------------------------

  #fromJanusRtcp(data: Uint8Array, from: Deno.NetAddr) {
    const publisherRtcp = this.#publisher?.rtcp;
    if (publisherRtcp && from.port === publisherRtcp.port && from.hostname === publisherRtcp.host) {
      // Janus wants a key frame of the room system's video (a browser subscribed, or loss).
      const packets = parseRtcp(data);
      if (packets?.some((p) => p.type === RTCP_PSFB && (p.count === PSFB_PLI || p.count === PSFB_FIR))) {
        this.#counters.kfFromJanus++;
        this.#askCaller(false);
      }
      return;
    }
    // Anything else is the forwarder's RTCP socket (its first packet punches the hole): latch it.
    const known = this.#forwarderRtcp;
    this.#forwarderRtcp = { host: from.hostname, port: from.port };
    if (!known && this.#wantFromJanus) this.#askJanus();
  }

  /**
   * A key frame of the speaker is wanted: asked for now, or when the interval since the last request
   * has passed, and again every 500 ms until one goes out to the room system (#fromJanusRtp).
   */
  #keyframeFromJanus() {
    if (!this.#o.sendToCaller || this.state !== "open") return;
    this.#wantFromJanus = true;
    const wait = this.#lastAsk.janus + (this.#o.keyframeIntervalMs ?? 500) - performance.now();
    clearTimeout(this.#askTimer.janus);
    if (wait <= 0) this.#askJanus();
    this.#askTimer.janus = setTimeout(() => {
      this.#askTimer.janus = undefined;
      if (!this.#wantFromJanus || this.state !== "open") return;
      this.#keyframeFromJanus();
    }, wait > 0 ? wait : KEYFRAME_RETRY_MS);
  }

  /** A PLI on the forwarder's RTCP port now (once that port is known: the forwarder's first packet). */
  #askJanus() {
    const target = this.#forwarderRtcp;
    if (!target) return;
    this.#lastAsk.janus = performance.now();
    this.#sockets.send(
      this.#janusRtcp,
      serializeRtcp([keyframeRequest("pli", this.#ssrcToCaller, this.#out.source ?? 0)]),
      target,
    );
    this.#counters.kfToJanus++;
  }

  #fromJanusRtp(data: Uint8Array, _from: Deno.NetAddr) {
    if (isRtcp(data)) return;
    const packet = parseRtp(data);
    if (!packet || packet.payload.length === 0) return; // the forwarder's hole-punching header
    this.#counters.fromJanus++;
    if (!this.#o.sendToCaller || !this.#callerTarget) {
      this.#counters.fromJanusDropped++;
      return;
    }
    const out = this.#out;
    const key = isKeyframe("vp8", packet.payload);
    if (key) this.#counters.fromJanusKeyframes++;
    const now = performance.now();
    if (packet.ssrc !== out.source) {
      // A new forwarder (speaker switch): wait for its key frame, then continue our stream.
      out.source = packet.ssrc;
      out.waitingForKeyframe = true;
      this.#counters.sources++;
    } else if (!out.waitingForKeyframe) {
      const seqStep = (packet.sequence - out.lastInSeq) & 0xffff;
      if (seqStep === 0 || seqStep > 0x8000) {
        this.#counters.fromJanusDropped++; // duplicate or reordered: the decoder copes with a gap better
        return;
      }
    }
    if (out.waitingForKeyframe) {
      if (!key) {
        this.#counters.fromJanusDropped++;
        this.#keyframeFromJanus();
        return;
      }
      out.waitingForKeyframe = false;
      // Rebase: the next sequence number, the timestamp advanced by the time since our last packet.
      if (this.#counters.toCaller > 0) {
        out.seq = (out.seq + 1) & 0xffff;
        out.ts = (out.ts + Math.max(1, Math.round(((now - out.lastAt) * VIDEO_CLOCK_RATE) / 1000))) >>> 0;
      }
    } else {
      // Within one source its steps are kept (a lost packet stays a gap the decoder can see).
      out.seq = (out.seq + ((packet.sequence - out.lastInSeq) & 0xffff)) & 0xffff;
      out.ts = (out.ts + ((packet.timestamp - out.lastInTs) | 0)) >>> 0;
    }
    if (key) this.#wantFromJanus = false; // it goes out now (to the room system or into ffmpeg)
    out.lastInSeq = packet.sequence;
    out.lastInTs = packet.timestamp;
    out.lastAt = now;
    packet.ssrc = this.#ssrcToCaller;
    packet.sequence = out.seq;
    packet.timestamp = out.ts;
    packet.payloadType = this.#o.payloadType;
    packet.extension = null;
    packet.csrcs = [];
    if (this.#o.transcodeWith) {
      // One continuous VP8 stream into ffmpeg; its H.264 comes back in #fromTranscoder. A transcoder
      // that gave up while no video came is started again (and primed with a key frame).
      if (!this.#transcoderStarting) this.#startTranscoder();
      this.#transcoder?.send(serializeRtp(packet));
      return;
    }
    this.#sockets.send(this.#callerRtp, serializeRtp(packet), this.#callerTarget);
    this.#counters.toCaller++;
  }

  // --- VP8 → H.264 (room systems that take H.264 only) ------------------------------------------------

  #startTranscoder() {
    const ffmpeg = this.#o.transcodeWith;
    if (!ffmpeg || !this.#o.sendToCaller || this.#transcoderStarting || this.state !== "open") return;
    this.#transcoderStarting = VideoTranscoder.start({ callId: this.#o.callId, ffmpeg }).then(async (t) => {
      if (this.state !== "open") return await t.stop();
      this.#transcoder = t;
      t.onPacket((d) => this.#fromTranscoder(d));
      t.exited.then(() => {
        if (this.#transcoder !== t) return;
        this.#transcoder = null;
        this.#transcoderStarting = null;
        clearInterval(this.#primeTimer);
      });
      // ffmpeg decodes nothing before a key frame, and the one that started the stream went by while
      // it was starting: hold the stream until the next key frame and ask for one each second until
      // H.264 comes out.
      const primed = () => {
        if (this.state !== "open" || t.packetsOut > 0) return clearInterval(this.#primeTimer);
        this.#out.waitingForKeyframe = true;
        this.#keyframeFromJanus();
      };
      primed();
      this.#primeTimer = setInterval(primed, 1000);
    }, (err) => {
      log.error("transcoder did not start", { callId: this.#o.callId, error: (err as Error).message });
    });
  }

  /** ffmpeg's H.264: our SSRC and the room system's payload type; its sequence and timing kept. */
  #fromTranscoder(data: Uint8Array) {
    const packet = parseRtp(data);
    if (!packet || !this.#callerTarget || this.state !== "open") return;
    packet.ssrc = this.#ssrcToCaller;
    packet.payloadType = this.#o.payloadType;
    this.#sockets.send(this.#callerRtp, serializeRtp(packet), this.#callerTarget);
    this.#counters.toCaller++;
  }
}
