// SIP messages: parsing (our framer with lazily parsed headers, gateway/sip/parser.ts, with sip.js's
// grammar as the fallback judge), building responses per RFC 3261 §8.2.6, and serializing.
// Malformed input never throws out of here.

import sdpTransform from "sdp-transform";
import type { NameAddrHeader, URI } from "sip.js/lib/grammar/index.js";
import { COMPACT, frame, type ParsedRequest, type ParsedResponse, parseNameAddrValue, parseSipUri } from "./parser.ts";
import { randomHex } from "../../lib/common/random.ts";

export type SipRequest = ParsedRequest;
export type SipResponse = ParsedResponse;
export type SipUri = URI;
export type NameAddr = NameAddrHeader;

/** The parts of an SDP we read; sdp-transform ships no types. */
export interface Sdp {
  version?: number;
  origin?: { username: string; sessionId: string | number; sessionVersion: number; address: string };
  connection?: { version: number; ip: string };
  direction?: string;
  media: {
    type: string;
    port: number;
    protocol: string;
    payloads?: string | number;
    rtp: { payload: number; codec: string; rate?: number; encoding?: number }[];
    connection?: { version: number; ip: string };
    direction?: string;
    fmtp?: { payload: number; config: string }[];
    rtcp?: { port: number; netType?: string; ipVer?: number; address?: string };
    rtcpMux?: string;
    rtcpFb?: { payload: number | string; type: string; subtype?: string }[];
  }[];
  [key: string]: unknown;
}

export const CRLF = "\r\n";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The methods this endpoint understands; everything else gets 405 with this Allow list. */
export const ALLOWED_METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO"];
/** Option-tags we support; a Require naming anything else gets 420. */
export const SUPPORTED_OPTIONS: string[] = [];
export const ACCEPTED_INVITE_TYPES = ["application/sdp"];
export const ACCEPTED_INFO_TYPES = ["application/dtmf-relay", "application/dtmf", "application/media_control+xml"];

/** RFC 5168: the XML body that asks a video encoder for a key frame (SIP INFO picture_fast_update). */
export const PICTURE_FAST_UPDATE = '<?xml version="1.0" encoding="utf-8" ?>\r\n' +
  "<media_control><vc_primitive><to_encoder><picture_fast_update/></to_encoder></vc_primitive></media_control>\r\n";

export const REASONS: Record<number, string> = {
  100: "Trying",
  180: "Ringing",
  183: "Session Progress",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  416: "Unsupported URI Scheme",
  420: "Bad Extension",
  480: "Temporarily Unavailable",
  481: "Call/Transaction Does Not Exist",
  483: "Too Many Hops",
  486: "Busy Here",
  487: "Request Terminated",
  488: "Not Acceptable Here",
  491: "Request Pending",
  500: "Server Internal Error",
  503: "Service Unavailable",
  505: "Version Not Supported",
  600: "Busy Everywhere",
  603: "Decline",
};

type Header = [name: string, value: string];

/** A message we send: start line, ordered headers, body. Content-Length is always computed. */
export class OutgoingMessage {
  constructor(public startLine: string, public headers: Header[] = [], public body = "") {}

  get isRequest(): boolean {
    return !this.startLine.startsWith("SIP/2.0 ");
  }

  get method(): string {
    if (this.isRequest) return this.startLine.split(" ")[0];
    return this.header("CSeq")?.split(/\s+/)[1] ?? "";
  }

  get status(): number {
    return this.isRequest ? 0 : Number(this.startLine.split(" ")[1]);
  }

  header(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
  }

  setHeader(name: string, value: string): this {
    const lower = name.toLowerCase();
    const i = this.headers.findIndex(([n]) => n.toLowerCase() === lower);
    if (i >= 0) this.headers[i] = [name, value];
    else this.headers.push([name, value]);
    return this;
  }

  addHeader(name: string, value: string, first = false): this {
    if (first) this.headers.unshift([name, value]);
    else this.headers.push([name, value]);
    return this;
  }

  removeHeader(name: string): this {
    const lower = name.toLowerCase();
    this.headers = this.headers.filter(([n]) => n.toLowerCase() !== lower);
    return this;
  }

  toString(): string {
    const lines = [this.startLine];
    for (const [n, v] of this.headers) {
      if (n.toLowerCase() !== "content-length") lines.push(`${n}: ${v}`);
    }
    lines.push(`Content-Length: ${encoder.encode(this.body).length}`);
    return lines.join(CRLF) + CRLF + CRLF + this.body;
  }

  toBytes(): Uint8Array {
    return encoder.encode(this.toString());
  }
}

export function reasonFor(status: number): string {
  return REASONS[status] ?? (status < 200 ? "Progress" : status < 300 ? "OK" : "Error");
}

/** RFC 3261 branches start with the magic cookie so transactions can be matched by branch alone. */
export function newBranch(): string {
  return "z9hG4bK" + randomHex(10);
}

export interface ResponseOptions {
  reason?: string;
  /** To-tag to add when the request's To has none (ignored for 100, per §8.2.6.2). */
  toTag?: string;
  headers?: Header[];
  body?: string;
  contentType?: string;
}

/** Builds a response to `req` per §8.2.6: Via (all, in order), From, To (+tag), Call-ID, CSeq copied. */
export function buildResponse(req: SipRequest, status: number, opts: ResponseOptions = {}): OutgoingMessage {
  const res = new OutgoingMessage(`SIP/2.0 ${status} ${opts.reason ?? reasonFor(status)}`);
  for (const v of req.headers["Via"] ?? []) res.addHeader("Via", v.raw);
  const from = req.getHeader("from");
  if (from) res.addHeader("From", from);
  let to = req.getHeader("to") ?? "";
  if (status !== 100 && opts.toTag && !req.toTag) to = `${to};tag=${opts.toTag}`;
  if (to) res.addHeader("To", to);
  if (req.callId) res.addHeader("Call-ID", req.callId);
  const cseq = req.getHeader("cseq");
  if (cseq) res.addHeader("CSeq", cseq);
  // §8.2.6.1: a 100 Trying echoes the Timestamp so the client can measure round-trip time.
  const ts = req.getHeader("timestamp");
  if (status === 100 && ts) res.addHeader("Timestamp", ts);
  for (const h of opts.headers ?? []) res.addHeader(h[0], h[1]);
  if (opts.body) {
    res.addHeader("Content-Type", opts.contentType ?? "application/sdp");
    res.body = opts.body;
  }
  return res;
}

export type ParseOutcome =
  | { kind: "request"; request: SipRequest }
  | { kind: "response"; response: SipResponse }
  /** Parseable enough to answer: send this error response to the source. */
  | { kind: "reject"; response: OutgoingMessage; reason: string }
  | { kind: "drop"; reason: string };

/** A start line we can answer: a method token, something, and a SIP version (RFC 4475 lwsruri, badvers). */
const REQUEST_LINE = /^([A-Za-z0-9!%*_+`'~.-]+) +.* *SIP\/\d+\.\d+ *$/;

/** Index of the CRLFCRLF that ends the header section, or -1. */
export function headerEnd(bytes: Uint8Array, from = 0): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i;
  }
  return -1;
}

/** Raw header lines (unfolded) with compact names expanded; used when the message was refused. */
function rawHeaders(text: string): Header[] {
  const out: Header[] = [];
  for (const line of text.replace(/\r\n[ \t]+/g, " ").split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const raw = line.slice(0, colon).trim().toLowerCase();
    out.push([COMPACT[raw] ?? raw, line.slice(colon + 1).trim()]);
  }
  return out;
}

/**
 * A 400 (or other error) built from whatever header lines are present, for requests the framer
 * refused. Only the start line must be sane: otherwise we cannot even tell it is a request.
 */
function lenientReject(text: string, status: number, reason: string, extra: Header[] = []): ParseOutcome {
  const firstLine = text.slice(0, text.indexOf("\r\n") >= 0 ? text.indexOf("\r\n") : text.length);
  const m = REQUEST_LINE.exec(firstLine);
  if (!m) return { kind: "drop", reason: `unparseable start line (${reason})` };
  // §17.1.1.3 / §8.2: an ACK never gets a response.
  if (m[1].toUpperCase() === "ACK") return { kind: "drop", reason: `bad ACK (${reason})` };
  const headers = rawHeaders(text);
  const res = new OutgoingMessage(`SIP/2.0 ${status} ${reasonFor(status)}`);
  for (const name of ["via", "from", "to", "call-id", "cseq"]) {
    const canonical = { via: "Via", from: "From", to: "To", "call-id": "Call-ID", cseq: "CSeq" }[name]!;
    for (const [n, v] of headers) {
      // deno-lint-ignore no-control-regex -- control characters are exactly what must not be echoed back
      if (n === name && !/[\x00-\x08\x0a-\x1f\x7f]/.test(v)) res.addHeader(canonical, v.slice(0, 1024));
    }
  }
  for (const h of extra) res.addHeader(h[0], h[1]);
  res.addHeader("Warning", `399 talkspace "${reason.replace(/["\\]/g, "'").slice(0, 120)}"`);
  return { kind: "reject", response: res, reason };
}

/**
 * Parses one message. `datagram`: a UDP packet (body = rest of the packet, cut at Content-Length);
 * on streams the caller has already framed the message by Content-Length.
 */
export function parseMessage(bytes: Uint8Array): ParseOutcome {
  try {
    return parseUnsafe(bytes);
  } catch (err) {
    // Defence in depth: neither the framer nor sip.js's grammar should throw, but a bug must not crash us.
    return { kind: "drop", reason: `parser threw: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function parseUnsafe(bytes: Uint8Array): ParseOutcome {
  const end = headerEnd(bytes);
  const headText = decoder.decode(end >= 0 ? bytes.subarray(0, end) : bytes);
  if (end < 0) return lenientReject(headText + "\r\n", 400, "no end of headers");
  // NUL is legal only as a quoted-pair (RFC 4475 intmeth); invalid UTF-8 never.
  if (
    headText.includes("\ufffd") ||
    (headText.includes("\u0000") && headText.replaceAll("\\\u0000", "").includes("\u0000"))
  ) {
    return lenientReject(headText + "\r\n", 400, "binary data in headers");
  }
  const bodyBytes = bytes.subarray(end + 4);
  const outcome = frame(headText, (length) => {
    if (length === null) return decoder.decode(bodyBytes);
    // §18.3: a packet that ends before the body does is an error; requests get a 400.
    if (length > bodyBytes.length) return { error: "Content-Length larger than body" };
    // Content-Length counts bytes, and extra bytes are discarded.
    return decoder.decode(bodyBytes.subarray(0, length));
  });
  if (outcome.kind === "reject") return lenientReject(headText, outcome.status, outcome.reason, outcome.extra);
  return outcome;
}

/** Option-tags in Require that we do not support (§8.2.2.3). */
export function unsupportedRequire(req: SipRequest): string[] {
  const tags = req.getHeaders("require").flatMap((v) => v.split(",")).map((t) => t.trim()).filter(Boolean);
  return tags.filter((t) => !SUPPORTED_OPTIONS.includes(t.toLowerCase()));
}

/** The media type of the body, lower-cased, without parameters; null when there is no body. */
export function contentType(msg: { getHeader(n: string): string | undefined; body: string }): string | null {
  if (!msg.body) return null;
  const raw = msg.getHeader("content-type");
  return raw ? raw.split(";")[0].trim().toLowerCase() : "";
}

/**
 * Request checks every UAS does before its method logic (§8.2.1–8.2.3), in the RFC's order:
 * Max-Forwards, method, Require, then Content-Type for INVITE. Returns the rejection or null.
 */
export function checkRequest(req: SipRequest, toTag: string): OutgoingMessage | null {
  const mf = req.getHeader("max-forwards");
  if (mf !== undefined && Number(mf) === 0 && req.method !== "ACK") return buildResponse(req, 483, { toTag });
  if (!ALLOWED_METHODS.includes(req.method)) {
    return buildResponse(req, 405, { toTag, headers: [["Allow", ALLOWED_METHODS.join(", ")]] });
  }
  if (req.method !== "ACK" && req.method !== "CANCEL") {
    const unknown = unsupportedRequire(req);
    if (unknown.length > 0) return buildResponse(req, 420, { toTag, headers: [["Unsupported", unknown.join(", ")]] });
  }
  if (req.method === "INVITE") {
    const type = contentType(req);
    if (type !== null && !ACCEPTED_INVITE_TYPES.includes(type)) {
      return buildResponse(req, 415, { toTag, headers: [["Accept", ACCEPTED_INVITE_TYPES.join(", ")]] });
    }
  }
  return null;
}

/** Parses an SDP body; null unless it has the lines a media session needs (v, o, c, an m with a port). */
export function parseSdp(body: string): Sdp | null {
  try {
    if (!/^v=0\r?\n/.test(body)) return null;
    const sdp = sdpTransform.parse(body) as Sdp;
    if (!sdp.origin || !Array.isArray(sdp.media) || sdp.media.length === 0) return null;
    for (const m of sdp.media) {
      if (!m.type || !Number.isInteger(m.port) || m.port < 0 || m.port > 65535 || !m.protocol) return null;
      if (m.payloads === undefined || String(m.payloads).trim() === "") return null;
      if (m.port !== 0 && !m.connection?.ip && !sdp.connection?.ip) return null;
    }
    return sdp;
  } catch {
    return null;
  }
}

export function writeSdp(sdp: Sdp): string {
  return sdpTransform.write(sdp);
}

/** The direction of the first audio stream (for hold detection); sendrecv when unstated. */
export function sdpDirection(sdp: Sdp): string {
  const m = sdp.media.find((x) => x.type === "audio") ?? sdp.media[0];
  const dir = m?.direction ?? sdp.direction ?? "sendrecv";
  // RFC 3264 §8.4: the older way to hold is c=0.0.0.0.
  if ((m?.connection?.ip ?? sdp.connection?.ip) === "0.0.0.0") return dir === "sendrecv" ? "sendonly" : dir;
  return dir;
}

export function parseUri(text: string): SipUri | undefined {
  try {
    return parseSipUri(text);
  } catch {
    return undefined;
  }
}

export function parseNameAddr(text: string): NameAddr | undefined {
  try {
    return parseNameAddrValue(text);
  } catch {
    return undefined;
  }
}

/** The URI inside a header value like `"Bob" <sip:bob@host>;tag=x` (or a bare URI). */
export function uriOf(headerValue: string): string {
  const lt = headerValue.indexOf("<");
  if (lt >= 0) return headerValue.slice(lt + 1, headerValue.indexOf(">", lt));
  return headerValue.split(";")[0].trim();
}

/** Parses `Digest a="b", c=d` into a lower-cased-key map. */
export function parseAuthParams(value: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(value);
  const params: Record<string, string> = {};
  if (!m) return { scheme: value.trim(), params };
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const p of m[2].matchAll(re)) {
    params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, "$1") : p[3];
  }
  return { scheme: m[1], params };
}
