// Call control's pure parts: the dial string, the caller's number as the meeting shows it, codec
// choice from an SDP offer (or answer), and the SDP we send (answer to an offer, or our own offer).

import type { Sdp } from "../sip/message.ts";
import type { RelayCodec, UdpAddress } from "../rtp/relay.ts";
import type { VideoCodec } from "../rtp/video.ts";
import { randomUint32 } from "../../lib/common/random.ts";

export type DialTarget =
  | { kind: "meeting"; meetingId: string; passcode: string | null }
  | { kind: "ivr" };

const digitsOnly = (s: string) => s.replace(/[^\d]/g, "");

/**
 * The Request-URI user: `<10 digits>`, `<10 digits>*<passcode>`, or the DID (which reaches the IVR).
 * Visual separators in a DID (`+49 30-123`) do not matter; null = nothing we answer.
 */
export function parseDialString(user: string | null, did: string): DialTarget | null {
  if (!user) return null;
  const u = decodeURIComponent(user).trim();
  if (
    did &&
    (u === did || (digitsOnly(did).length > 0 && digitsOnly(u) === digitsOnly(did) && /^\+?[\d\s().-]+$/.test(u)))
  ) {
    return { kind: "ivr" };
  }
  const m = /^(\d{10})(?:\*(\d{1,16}))?$/.exec(u);
  if (!m) return null;
  return { kind: "meeting", meetingId: m[1], passcode: m[2] ?? null };
}

/** `•••• 1234` for phone numbers, the user part (shortened) for SIP URIs, `unknown` otherwise. */
export function maskNumber(user: string | null): string {
  if (!user) return "unknown";
  const u = (() => {
    try {
      return decodeURIComponent(user);
    } catch {
      return user;
    }
  })().trim();
  const digits = digitsOnly(u);
  if (/^\+?[\d\s().-]+$/.test(u) && digits.length >= 5) return `•••• ${digits.slice(-4)}`;
  if (/^\+?[\d\s().-]+$/.test(u)) return "••••";
  return u.replace(/[^\w.@+-]/g, "").slice(0, 64) || "unknown";
}

/** What the meeting shows: the caller's display name unless it is (or contains) a phone number. */
export function callerDisplayName(displayName: string | null, user: string | null): string {
  // deno-lint-ignore no-control-regex -- control characters are what we strip.
  const name = (displayName ?? "").replace(/["\\\x00-\x1f]/g, "").trim().slice(0, 64);
  if (name && digitsOnly(name).length < 5) return name;
  const masked = maskNumber(user);
  return masked === "unknown" ? "Phone" : masked;
}

export interface Negotiated {
  codec: RelayCodec;
  payloadType: number;
  /** The caller's telephone-event payload type at the codec's clock rate, if offered. */
  telephoneEvent: number | null;
  /** Where the caller wants media (null for a late offer or an unusable address). */
  remote: UdpAddress | null;
  /** Index of the audio m-line we use; the others are refused with port 0. */
  mediaIndex: number;
}

const CLOCK: Record<RelayCodec, number> = { pcmu: 8000, pcma: 8000, opus: 48000 };

/**
 * Picks the codec: the first payload type in the caller's order that we support (PCMU, PCMA, and Opus
 * when `allowOpus`; G.722 and the rest are skipped). Null when nothing fits (answer 488).
 */
export function negotiate(sdp: Sdp, options: { allowOpus: boolean }): Negotiated | null {
  for (let i = 0; i < sdp.media.length; i++) {
    const m = sdp.media[i];
    if (m.type !== "audio" || m.port === 0 || m.protocol !== "RTP/AVP") continue;
    const order = String(m.payloads ?? "").trim().split(/\s+/).map(Number).filter(Number.isInteger);
    const rtpmap = new Map(m.rtp.map((r) => [r.payload, r]));
    let chosen: { codec: RelayCodec; pt: number } | null = null;
    for (const pt of order) {
      const r = rtpmap.get(pt);
      const name = r?.codec.toLowerCase() ?? (pt === 0 ? "pcmu" : pt === 8 ? "pcma" : "");
      const rate = r?.rate ?? 8000;
      if (name === "pcmu" && rate === 8000) chosen = { codec: "pcmu", pt };
      else if (name === "pcma" && rate === 8000) chosen = { codec: "pcma", pt };
      else if (name === "opus" && rate === 48000 && options.allowOpus) chosen = { codec: "opus", pt };
      if (chosen) break;
    }
    if (!chosen) continue;
    const events = m.rtp.filter((r) => r.codec.toLowerCase() === "telephone-event");
    const te = events.find((r) => (r.rate ?? 8000) === CLOCK[chosen.codec]) ?? null;
    const ip = m.connection?.ip ?? sdp.connection?.ip ?? null;
    const remote = ip && ip !== "0.0.0.0" && m.port > 0 ? { host: ip, port: m.port } : null;
    return { codec: chosen.codec, payloadType: chosen.pt, telephoneEvent: te?.payload ?? null, remote, mediaIndex: i };
  }
  return null;
}

export interface NegotiatedVideo {
  codec: VideoCodec;
  payloadType: number;
  /** The room system's fmtp for the chosen payload type (H.264 profile, packetization mode), echoed. */
  fmtp: string | null;
  /** Where the room system wants video (null for an unusable address). */
  remote: UdpAddress | null;
  /** Where its RTCP goes: a=rtcp, else the RTP port + 1 (the RTP address itself with rtcp-mux). */
  rtcp: UdpAddress | null;
  rtcpMux: boolean;
  /** The a=rtcp-fb values it offered for the payload type, echoed in the answer. */
  feedback: { pli: boolean; fir: boolean; lines: string[] };
  mediaIndex: number;
  /** It sends video to us (offer sendrecv/sendonly). */
  receive: boolean;
  /**
   * We send it the speaker's video: it takes video and accepted VP8 (the codec browsers publish), or
   * H.264 when the gateway can transcode.
   */
  send: boolean;
}

/**
 * The video m-line of a room system's offer: VP8 first (the speaker's video can go back, as browsers
 * publish VP8), else H.264 (packetization mode 1 preferred; the speaker goes back through a VP8 → H.264
 * transcoder when `transcodeH264`). Null when there is no usable video (the call is audio only then).
 */
export function negotiateVideo(sdp: Sdp, options: { transcodeH264?: boolean } = {}): NegotiatedVideo | null {
  for (let i = 0; i < sdp.media.length; i++) {
    const m = sdp.media[i];
    if (m.type !== "video" || m.port === 0 || !/^RTP\/AVPF?$/.test(m.protocol)) continue;
    const fmtp = new Map((m.fmtp ?? []).map((f) => [f.payload, f.config]));
    const candidates = m.rtp
      .map((r) => ({
        pt: r.payload,
        name: r.codec.toLowerCase(),
        rate: r.rate ?? 90000,
        fmtp: fmtp.get(r.payload) ?? null,
      }))
      .filter((c) => c.rate === 90000 && (c.name === "vp8" || c.name === "h264"));
    const mode = (f: string | null) => Number(/packetization-mode=(\d)/.exec(f ?? "")?.[1] ?? 0);
    const chosen = candidates.find((c) => c.name === "vp8") ??
      candidates.find((c) => c.name === "h264" && mode(c.fmtp) === 1) ??
      candidates.find((c) => c.name === "h264" && mode(c.fmtp) === 0);
    if (!chosen) continue;
    const direction = m.direction ?? sdp.direction ?? "sendrecv";
    const ip = m.connection?.ip ?? sdp.connection?.ip ?? null;
    const remote = ip && ip !== "0.0.0.0" ? { host: ip, port: m.port } : null;
    const rtcpMux = m.rtcpMux === "rtcp-mux";
    const rtcp = !remote
      ? null
      : rtcpMux
      ? remote
      : { host: m.rtcp?.address ?? remote.host, port: m.rtcp?.port ?? remote.port + 1 };
    const fb = (m.rtcpFb ?? []).filter((f) => String(f.payload) === String(chosen.pt) || f.payload === "*");
    const has = (type: string, subtype?: string) =>
      fb.some((f) => f.type === type && (f.subtype ?? "") === (subtype ?? ""));
    const lines = [
      ...(has("nack", "pli") ? [`a=rtcp-fb:${chosen.pt} nack pli`] : []),
      ...(has("ccm", "fir") ? [`a=rtcp-fb:${chosen.pt} ccm fir`] : []),
    ];
    return {
      codec: chosen.name as VideoCodec,
      payloadType: chosen.pt,
      fmtp: chosen.fmtp,
      remote,
      rtcp,
      rtcpMux,
      feedback: { pli: has("nack", "pli"), fir: has("ccm", "fir"), lines },
      mediaIndex: i,
      receive: direction === "sendrecv" || direction === "sendonly",
      send: (chosen.name === "vp8" || !!options.transcodeH264) &&
        (direction === "sendrecv" || direction === "recvonly"),
    };
  }
  return null;
}

function videoLines(v: NegotiatedVideo, local: UdpAddress, protocol: string): string[] {
  const direction = v.send && v.receive ? "sendrecv" : v.send ? "sendonly" : v.receive ? "recvonly" : "inactive";
  const lines = [
    `m=video ${local.port} ${protocol} ${v.payloadType}`,
    `a=rtpmap:${v.payloadType} ${v.codec === "vp8" ? "VP8" : "H264"}/90000`,
  ];
  if (v.fmtp) lines.push(`a=fmtp:${v.payloadType} ${v.fmtp}`);
  lines.push(...v.feedback.lines);
  lines.push(v.rtcpMux ? "a=rtcp-mux" : `a=rtcp:${local.port + 1}`);
  lines.push(`a=${direction}`);
  return lines;
}

function rtpmapLines(codec: RelayCodec, pt: number, te: number | null): string[] {
  const lines = [
    codec === "opus" ? `a=rtpmap:${pt} opus/48000/2` : `a=rtpmap:${pt} ${codec.toUpperCase()}/8000`,
  ];
  if (codec === "opus") lines.push(`a=fmtp:${pt} useinbandfec=1`);
  if (te !== null) lines.push(`a=rtpmap:${te} telephone-event/${CLOCK[codec]}`, `a=fmtp:${te} 0-16`);
  return lines;
}

function sessionLines(host: string): string[] {
  const id = randomUint32();
  const ipv = host.includes(":") ? "IP6" : "IP4";
  return ["v=0", `o=talkspace ${id} 1 IN ${ipv} ${host}`, "s=Talkspace", `c=IN ${ipv} ${host}`, "t=0 0"];
}

/**
 * Our answer: the chosen codec (+ telephone-event when offered) on the relay's port, ptime 20, and
 * the room system's video on the video relay's ports when `video` is given.
 */
export function answerSdp(
  offer: Sdp,
  chosen: Negotiated,
  local: UdpAddress,
  video?: { chosen: NegotiatedVideo; local: UdpAddress },
): string {
  const lines = sessionLines(local.host);
  offer.media.forEach((m, i) => {
    if (video && i === video.chosen.mediaIndex) {
      lines.push(...videoLines(video.chosen, video.local, m.protocol));
      return;
    }
    if (i !== chosen.mediaIndex) {
      // RFC 3264 §6: every offered stream gets an m-line; port 0 refuses it.
      const first = String(m.payloads ?? "0").trim().split(/\s+/)[0];
      lines.push(`m=${m.type} 0 ${m.protocol} ${first}`);
      return;
    }
    const pts = [chosen.payloadType, ...(chosen.telephoneEvent !== null ? [chosen.telephoneEvent] : [])];
    lines.push(`m=audio ${local.port} RTP/AVP ${pts.join(" ")}`);
    lines.push(...rtpmapLines(chosen.codec, chosen.payloadType, chosen.telephoneEvent));
    lines.push("a=ptime:20", "a=sendrecv");
  });
  return lines.join("\r\n") + "\r\n";
}

/** Telephone-event payload type we offer. */
export const OFFER_TELEPHONE_EVENT = 101;

/** Payload types of the video we offer (dial-outs to SIP addresses, which may be room systems). */
export const OFFER_VP8 = 96;
export const OFFER_H264 = 97;

/**
 * Our offer (dial-outs, late offers): PCMU and PCMA (G.711 only: prompts need it) and telephone-event;
 * with `video`, a video m-line with VP8 and H.264 (packetization mode 1), PLI/FIR feedback and our
 * RTCP port (the next one).
 */
export function offerSdp(
  local: UdpAddress,
  codecs: ("pcmu" | "pcma")[] = ["pcmu", "pcma"],
  video?: { port: number },
): string {
  const lines = sessionLines(local.host);
  const pts = codecs.map((c) => (c === "pcmu" ? 0 : 8));
  lines.push(`m=audio ${local.port} RTP/AVP ${[...pts, OFFER_TELEPHONE_EVENT].join(" ")}`);
  for (const c of codecs) lines.push(`a=rtpmap:${c === "pcmu" ? 0 : 8} ${c.toUpperCase()}/8000`);
  lines.push(`a=rtpmap:${OFFER_TELEPHONE_EVENT} telephone-event/8000`, `a=fmtp:${OFFER_TELEPHONE_EVENT} 0-16`);
  lines.push("a=ptime:20", "a=sendrecv");
  if (video) {
    lines.push(`m=video ${video.port} RTP/AVP ${OFFER_VP8} ${OFFER_H264}`);
    lines.push(`a=rtpmap:${OFFER_VP8} VP8/90000`, `a=rtpmap:${OFFER_H264} H264/90000`);
    lines.push(`a=fmtp:${OFFER_H264} profile-level-id=42e01f;packetization-mode=1`);
    for (const pt of [OFFER_VP8, OFFER_H264]) lines.push(`a=rtcp-fb:${pt} nack pli`, `a=rtcp-fb:${pt} ccm fir`);
    lines.push(`a=rtcp:${video.port + 1}`, "a=sendrecv");
  }
  return lines.join("\r\n") + "\r\n";
}
