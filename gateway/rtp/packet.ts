// RTP (RFC 3550) and RTCP parsing/serializing, and RFC 4733 telephone-event (DTMF) handling,
// for the per-call relay between SIP callers and the AudioBridge.

export interface RtpHeaderExtension {
  /** 0xBEDE for RFC 8285 one-byte headers, 0x100x for two-byte; any 16-bit profile otherwise. */
  profile: number;
  /** The extension body (a multiple of 4 bytes). */
  data: Uint8Array;
}

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  extension: RtpHeaderExtension | null;
  payload: Uint8Array;
  /** Padding bytes at the end (0 = none); kept so a parse → serialize round trip is exact. */
  padding: number;
}

/** RFC 5761: RTP and RTCP on one port are told apart by the second byte (RTCP types 192–223). */
export function isRtcp(buf: Uint8Array): boolean {
  return buf.length >= 8 && (buf[0] >> 6) === 2 && buf[1] >= 192 && buf[1] <= 223;
}

/** Parses an RTP packet; null when it is not RTP version 2 or is malformed (too short, bad lengths). */
export function parseRtp(buf: Uint8Array): RtpPacket | null {
  if (buf.length < 12 || (buf[0] >> 6) !== 2) return null;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hasPadding = (buf[0] & 0x20) !== 0;
  const hasExtension = (buf[0] & 0x10) !== 0;
  const csrcCount = buf[0] & 0x0f;
  let offset = 12;
  const csrcs: number[] = [];
  if (buf.length < offset + 4 * csrcCount) return null;
  for (let i = 0; i < csrcCount; i++, offset += 4) csrcs.push(view.getUint32(offset));
  let extension: RtpHeaderExtension | null = null;
  if (hasExtension) {
    if (buf.length < offset + 4) return null;
    const profile = view.getUint16(offset);
    const words = view.getUint16(offset + 2);
    offset += 4;
    if (buf.length < offset + 4 * words) return null;
    extension = { profile, data: buf.subarray(offset, offset + 4 * words) };
    offset += 4 * words;
  }
  let end = buf.length;
  let padding = 0;
  if (hasPadding) {
    padding = buf[buf.length - 1];
    if (padding === 0 || end - padding < offset) return null;
    end -= padding;
  }
  return {
    marker: (buf[1] & 0x80) !== 0,
    payloadType: buf[1] & 0x7f,
    sequence: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    csrcs,
    extension,
    payload: buf.subarray(offset, end),
    padding,
  };
}

/** Serializes an RTP packet (the inverse of parseRtp). */
export function serializeRtp(p: RtpPacket): Uint8Array {
  const extLength = p.extension ? 4 + p.extension.data.length : 0;
  if (p.extension && p.extension.data.length % 4 !== 0) {
    throw new Error("RTP extension data must be a multiple of 4 bytes");
  }
  if (p.csrcs.length > 15) throw new Error("at most 15 CSRCs");
  if (p.padding < 0 || p.padding > 255) throw new Error("padding must be 0-255 bytes");
  const length = 12 + 4 * p.csrcs.length + extLength + p.payload.length + p.padding;
  const buf = new Uint8Array(length);
  const view = new DataView(buf.buffer);
  buf[0] = 0x80 | (p.padding ? 0x20 : 0) | (p.extension ? 0x10 : 0) | p.csrcs.length;
  buf[1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  view.setUint16(2, p.sequence & 0xffff);
  view.setUint32(4, p.timestamp >>> 0);
  view.setUint32(8, p.ssrc >>> 0);
  let offset = 12;
  for (const csrc of p.csrcs) {
    view.setUint32(offset, csrc >>> 0);
    offset += 4;
  }
  if (p.extension) {
    view.setUint16(offset, p.extension.profile);
    view.setUint16(offset + 2, p.extension.data.length / 4);
    buf.set(p.extension.data, offset + 4);
    offset += extLength;
  }
  buf.set(p.payload, offset);
  if (p.padding) buf[length - 1] = p.padding;
  return buf;
}

/** A minimal RTP packet without CSRCs, extension or padding (what the relay sends). */
export function buildRtp(
  payloadType: number,
  sequence: number,
  timestamp: number,
  ssrc: number,
  payload: Uint8Array,
  marker = false,
): Uint8Array {
  const buf = new Uint8Array(12 + payload.length);
  const view = new DataView(buf.buffer);
  buf[0] = 0x80;
  buf[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  view.setUint16(2, sequence & 0xffff);
  view.setUint32(4, timestamp >>> 0);
  view.setUint32(8, ssrc >>> 0);
  buf.set(payload, 12);
  return buf;
}

// --- RTCP ------------------------------------------------------------------------------------------

export interface RtcpPacket {
  /** Report count / format (FMT) field. */
  count: number;
  /** Packet type: 200 SR, 201 RR, 202 SDES, 203 BYE, 204 APP, 205 RTPFB, 206 PSFB. */
  type: number;
  /** The first 32-bit word after the header (the sender SSRC for every type we use). */
  ssrc: number;
  /** Everything after the SSRC up to the packet's length, padding removed. */
  body: Uint8Array;
  padding: number;
}

/** Parses a compound RTCP packet into its parts; null when malformed. */
export function parseRtcp(buf: Uint8Array): RtcpPacket[] | null {
  const out: RtcpPacket[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 0;
  while (offset < buf.length) {
    if (buf.length - offset < 8 || (buf[offset] >> 6) !== 2) return null;
    const length = (view.getUint16(offset + 2) + 1) * 4;
    if (offset + length > buf.length) return null;
    let end = offset + length;
    let padding = 0;
    if (buf[offset] & 0x20) {
      padding = buf[end - 1];
      if (padding === 0 || end - padding < offset + 8) return null;
      end -= padding;
    }
    out.push({
      count: buf[offset] & 0x1f,
      type: buf[offset + 1],
      ssrc: view.getUint32(offset + 4),
      body: buf.subarray(offset + 8, end),
      padding,
    });
    offset += length;
  }
  return out.length ? out : null;
}

/** Serializes RTCP packets into one compound packet (body lengths padded to 32-bit words). */
export function serializeRtcp(packets: RtcpPacket[]): Uint8Array {
  const sizes = packets.map((p) => {
    const unpadded = 8 + p.body.length;
    const padding = p.padding || (unpadded % 4 ? 4 - (unpadded % 4) : 0);
    return { unpadded, padding, total: unpadded + padding };
  });
  const buf = new Uint8Array(sizes.reduce((n, s) => n + s.total, 0));
  const view = new DataView(buf.buffer);
  let offset = 0;
  packets.forEach((p, i) => {
    const { padding, total } = sizes[i];
    buf[offset] = 0x80 | (padding ? 0x20 : 0) | (p.count & 0x1f);
    buf[offset + 1] = p.type;
    view.setUint16(offset + 2, total / 4 - 1);
    view.setUint32(offset + 4, p.ssrc >>> 0);
    buf.set(p.body, offset + 8);
    if (padding) buf[offset + total - 1] = padding;
    offset += total;
  });
  return buf;
}

// --- RFC 4733 telephone-event --------------------------------------------------------------------

export interface TelephoneEvent {
  /** 0-9, 10 = *, 11 = #, 12-15 = A-D, 16 = flash. */
  event: number;
  end: boolean;
  volume: number;
  /** In timestamp units since the event's timestamp. */
  duration: number;
}

export function parseTelephoneEvent(payload: Uint8Array): TelephoneEvent | null {
  if (payload.length < 4) return null;
  return {
    event: payload[0],
    end: (payload[1] & 0x80) !== 0,
    volume: payload[1] & 0x3f,
    duration: (payload[2] << 8) | payload[3],
  };
}

export function serializeTelephoneEvent(e: TelephoneEvent): Uint8Array {
  return new Uint8Array([e.event, (e.end ? 0x80 : 0) | (e.volume & 0x3f), (e.duration >> 8) & 0xff, e.duration & 0xff]);
}

const DIGITS = "0123456789*#ABCD";

/** The DTMF character for an event code, or null for non-DTMF events (flash, tones). */
export function dtmfDigit(event: number): string | null {
  return event < DIGITS.length ? DIGITS[event] : null;
}

export interface DtmfDigit {
  digit: string;
  /** The RTP timestamp identifying the event. */
  timestamp: number;
}

/**
 * Turns a telephone-event stream into digits, each exactly once: every packet of one key press
 * (start, updates, the three end packets, retransmissions) carries the same RTP timestamp, so a
 * digit is reported the first time a timestamp is seen. A short memory of recent timestamps also
 * swallows late retransmissions that arrive after the next digit has started.
 */
export class DtmfDetector {
  #recent: number[] = [];

  /** Feeds one telephone-event RTP packet; answers the digit when it starts a new key press. */
  push(timestamp: number, payload: Uint8Array): DtmfDigit | null {
    const event = parseTelephoneEvent(payload);
    if (!event) return null;
    if (this.#recent.includes(timestamp)) return null;
    this.#recent.push(timestamp);
    if (this.#recent.length > 8) this.#recent.shift();
    const digit = dtmfDigit(event.event);
    return digit ? { digit, timestamp } : null;
  }
}
