// A hand-written SIP message framer with lazily parsed header values (RFC 3261 §7, §25).
//
// Why hand-written: sip.js's generated grammar rebuilds its constant and bytecode tables on every
// call, so each header it parses costs ~85 µs however short (measured: "70" as Max-Forwards 84 µs,
// a Via 225 µs, a whole INVITE 1.6–3 ms). Here the start line and the header section are split by
// hand; the values the endpoint reads on every message (top Via, From/To tags, CSeq, Call-ID,
// Request-URI) have fast paths for the shapes real phones send, and anything unusual falls back to
// sip.js's grammar, so the grammar stays the judge of what is valid. Other headers stay raw until a
// caller asks for them (parseHeader). The fast paths build sip.js's own URI and NameAddrHeader
// objects; tests/sip/torture_test.ts checks them against the grammar.

import { Grammar } from "sip.js/lib/grammar/index.js";
import { NameAddrHeader, URI } from "sip.js/lib/grammar/index.js";

type Parsed = unknown;
export interface HeaderEntry {
  raw: string;
  // deno-lint-ignore no-explicit-any -- sip.js's parsed header values are untyped
  parsed?: any;
}

/** The parsed top Via (the shape sip.js's grammar gives, minus its maddr-replaces-host quirk). */
export interface ViaValue {
  protocol: string;
  transport: string;
  host_type: "IPv4" | "IPv6" | "domain";
  host: string;
  port?: number;
  branch?: string;
  received?: string;
  maddr?: string;
  ttl?: number;
  rport?: string | null;
  params: Record<string, string | null>;
}

/** Compact header forms (RFC 3261 §7.3.3 and the extensions' registered ones) → full names. */
export const COMPACT: Record<string, string> = {
  v: "via",
  f: "from",
  t: "to",
  i: "call-id",
  m: "contact",
  l: "content-length",
  c: "content-type",
  k: "supported",
  s: "subject",
  e: "content-encoding",
  r: "refer-to",
  b: "referred-by",
  o: "event",
  u: "allow-events",
  x: "session-expires",
};

/** Headers whose values are comma-separated lists of name-addrs or via-parms: one entry per element. */
const LIST_HEADERS = new Set(["Via", "Contact", "Route", "Record-Route"]);
/** Headers that may appear once only (RFC 4475 §3.1.2.? multi01: a second one is a 400). */
const SINGLE = ["From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Type", "Content-Length"];

const HEADERIZE_EXCEPTIONS: Record<string, string> = {
  "Call-Id": "Call-ID",
  Cseq: "CSeq",
  "Min-Se": "Min-SE",
  Rack: "RAck",
  Rseq: "RSeq",
  "Www-Authenticate": "WWW-Authenticate",
};
const headerizeCache = new Map<string, string>();

/** sip.js's header-name normalization (Call-ID, CSeq, WWW-Authenticate, else Capitalized-Words). */
export function headerize(name: string): string {
  const cached = headerizeCache.get(name);
  if (cached !== undefined) return cached;
  const out = name.toLowerCase().replace(/_/g, "-").split("-").map((p) => p.charAt(0).toUpperCase() + p.slice(1))
    .join("-");
  const result = HEADERIZE_EXCEPTIONS[out] ?? out;
  if (headerizeCache.size < 500) headerizeCache.set(name, result);
  return result;
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const TOKEN_CHARS = "A-Za-z0-9\\-.!%*_+`'~";

/** Splits a header value at commas outside quoted strings and <…>; null when an element is empty. */
export function splitList(value: string): string[] | null {
  if (!value.includes(",")) return [value];
  const out: string[] = [];
  let start = 0, quoted = false, angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "<") angle = true;
    else if (ch === ">") angle = false;
    else if (ch === "," && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.some((v) => v === "") ? null : out;
}

// ---------------------------------------------------------------------------------- fast paths

const FAST_URI = new RegExp(
  `^(sips?):(?:([A-Za-z0-9\\-_.!~*'()&=+$,]+)@)?([A-Za-z0-9][A-Za-z0-9.\\-]*)(?::(\\d{1,5}))?` +
    `((?:;[${TOKEN_CHARS}]+(?:=[${TOKEN_CHARS}]+)?)*)$`,
  "i",
);
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
/** A hostname the grammar accepts: labels of alphanumerics and inner hyphens, last one starting alpha. */
const HOSTNAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?$/;

/** Fast path for the common SIP URI shapes; undefined means "ask the grammar". */
function fastUri(text: string): URI | undefined {
  const m = FAST_URI.exec(text);
  if (!m) return undefined;
  const [, scheme, user, host, port, params] = m;
  if (IPV4.test(host)) {
    if (host.split(".").some((o) => Number(o) > 255)) return undefined;
  } else if (!HOSTNAME.test(host)) return undefined;
  if (port !== undefined && Number(port) > 65535) return undefined;
  const parameters: Record<string, string | null> = {};
  if (params) {
    for (const p of params.slice(1).split(";")) {
      const eq = p.indexOf("=");
      const name = (eq < 0 ? p : p.slice(0, eq)).toLowerCase();
      let value: string | null = eq < 0 ? null : p.slice(eq + 1);
      // The grammar's special cases: these values are lower-cased, the others kept.
      if (value !== null && name === "transport" && /^(udp|tcp|sctp|tls)$/i.test(value)) value = value.toLowerCase();
      if (value !== null && name === "user" && /^(phone|ip)$/i.test(value)) value = value.toLowerCase();
      if (eq < 0 && name !== "lr" && name in parameters) return undefined;
      // The grammar puts maddr in place of the host and drops ttl: leave those quirks to it.
      if (name === "maddr" || name === "ttl") return undefined;
      parameters[name] = value;
    }
  }
  return new URI(scheme, user as string, host, port === undefined ? undefined : Number(port), parameters);
}

/** A SIP or SIPS URI (sip.js's URI), or undefined when it is not one. */
export function parseSipUri(text: string): URI | undefined {
  const fast = fastUri(text);
  if (fast) return fast;
  const parsed = Grammar.URIParse(text);
  return parsed instanceof URI ? parsed : undefined;
}

const FAST_PARAMS = new RegExp(`^(?:[ \\t]*;[ \\t]*[${TOKEN_CHARS}]+(?:[ \\t]*=[ \\t]*[${TOKEN_CHARS}]+)?)*[ \\t]*$`);

function fastParams(text: string): Record<string, string> | undefined {
  if (!FAST_PARAMS.test(text)) return undefined;
  const out: Record<string, string> = {};
  for (const p of text.split(";").slice(1)) {
    const eq = p.indexOf("=");
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    if (name in out) return undefined;
    out[name] = (eq < 0 ? undefined : p.slice(eq + 1).trim()) as string;
  }
  return out;
}

// deno-lint-ignore no-control-regex -- control characters (quoted-pairs) send the value to the grammar
const QUOTED_DISPLAY = /^"([^"\\\x00-\x1f\x7f]*)"[ \t]*$/;
const TOKEN_DISPLAY = new RegExp(`^[${TOKEN_CHARS}]+[ \\t]*$`);

/** Fast path for `["display"|token] <uri>;params` and `uri;params`; undefined means "ask the grammar". */
function fastNameAddr(text: string): NameAddrHeader | undefined {
  const lt = text.indexOf("<");
  let display: string | undefined, uriText: string, rest: string;
  if (lt >= 0) {
    const gt = text.indexOf(">", lt);
    if (gt < 0) return undefined;
    const before = text.slice(0, lt).trimStart();
    if (before) {
      const q = QUOTED_DISPLAY.exec(before);
      if (q) display = q[1];
      else if (TOKEN_DISPLAY.test(before)) display = before.trim();
      else return undefined;
    }
    uriText = text.slice(lt + 1, gt);
    rest = text.slice(gt + 1);
  } else {
    const semi = text.indexOf(";");
    uriText = (semi < 0 ? text : text.slice(0, semi)).trim();
    rest = semi < 0 ? "" : text.slice(semi);
  }
  const uri = fastUri(uriText);
  if (!uri) return undefined;
  // In addr-spec form the URI may not carry parameters: they belong to the header (§20.10).
  if (lt < 0 && Object.keys(uri.parameters).length > 0) return undefined;
  const params = fastParams(rest);
  if (!params) return undefined;
  // No display name is undefined, as the grammar has it.
  return new NameAddrHeader(uri, display as string, params);
}

/** A From/To/Contact-style value (sip.js's NameAddrHeader), or undefined when it does not parse. */
export function parseNameAddrValue(text: string): NameAddrHeader | undefined {
  const fast = fastNameAddr(text);
  if (fast) return fast;
  // RFC 3261 §20: a URI with a comma, question mark or semicolon must be in <>: RFC 4475 regbadct.
  if (!text.includes("<") && /[?,]/.test(text)) return undefined;
  // The From rule takes name-addr and addr-spec alike (Name_Addr_Header wants the brackets).
  const parsed = Grammar.parse(text, "From");
  return parsed instanceof NameAddrHeader ? parsed : undefined;
}

const FAST_VIA = new RegExp(
  `^SIP[ \\t]*/[ \\t]*2\\.0[ \\t]*/[ \\t]*([${TOKEN_CHARS}]+)[ \\t]+` +
    `([A-Za-z0-9][A-Za-z0-9.\\-]*|\\[[0-9A-Fa-f:.]+\\])(?:[ \\t]*:[ \\t]*(\\d{1,5}))?` +
    `((?:[ \\t]*;[ \\t]*[${TOKEN_CHARS}]+(?:[ \\t]*=[ \\t]*[${TOKEN_CHARS}:\\[\\]]+)?)*)[ \\t]*$`,
  "i",
);

/** Fast path for one via-parm; undefined means "ask the grammar". */
function fastVia(text: string): ViaValue | undefined {
  const m = FAST_VIA.exec(text);
  if (!m) return undefined;
  const [, transport, host, port, params] = m;
  let hostType: ViaValue["host_type"] = "domain";
  if (host.startsWith("[")) hostType = "IPv6";
  else if (IPV4.test(host)) {
    if (host.split(".").some((o) => Number(o) > 255)) return undefined;
    hostType = "IPv4";
  } else if (!HOSTNAME.test(host)) return undefined;
  if (port !== undefined && Number(port) > 65535) return undefined;
  const via: ViaValue = { protocol: "SIP", transport: transport.toUpperCase(), host_type: hostType, host, params: {} };
  if (port !== undefined) via.port = Number(port);
  if (params) {
    for (const p of params.split(";").slice(1)) {
      const eq = p.indexOf("=");
      const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      const value = eq < 0 ? null : p.slice(eq + 1).trim();
      if (name === "branch") {
        if (value === null) return undefined;
        via.branch = value;
      } else if (name === "received") {
        if (value === null) return undefined;
        via.received = value;
      } else if (name === "maddr") {
        if (value === null) return undefined;
        via.maddr = value;
      } else if (name === "ttl") {
        if (value === null || !/^\d{1,3}$/.test(value) || Number(value) > 255) return undefined;
        via.ttl = Number(value);
      } else if (name === "rport") {
        if (value !== null && !/^\d{1,5}$/.test(value)) return undefined;
        via.rport = value;
      } else via.params[name] = value;
    }
  }
  return via;
}

/** One via-parm, or undefined when it does not parse. */
export function parseViaValue(text: string): ViaValue | undefined {
  const fast = fastVia(text);
  if (fast) return fast;
  const parsed = Grammar.parse(text, "Via");
  if (parsed === -1 || !parsed || typeof parsed !== "object") return undefined;
  return { params: {}, ...(parsed as object) } as ViaValue;
}

const CSEQ = /^(\d{1,10})[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)$/;
/** RFC 3261 §25.1 `word`, the characters of a Call-ID. */
const CALL_ID = /^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/\[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/\[\]?{}]+)?$/;
const MEDIA_TYPE = new RegExp(
  `^[${TOKEN_CHARS}]+[ \\t]*/[ \\t]*[${TOKEN_CHARS}]+` +
    `(?:[ \\t]*;[ \\t]*[${TOKEN_CHARS}]+[ \\t]*=[ \\t]*(?:[${TOKEN_CHARS}]+|"(?:[^"\\\\]|\\\\.)*"))*$`,
);
/** RFC 3261 §25.1 SIP-date (rfc1123-date, always GMT). */
const SIP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

export function parseCSeq(value: string): { value: number; method: string } | undefined {
  const m = CSEQ.exec(value);
  return m ? { value: Number(m[1]), method: m[2] } : undefined;
}

// ---------------------------------------------------------------------------------- messages

/** What the framer can say about a message; message.ts turns rejects into responses. */
export type FrameOutcome =
  | { kind: "request"; request: ParsedRequest }
  | { kind: "response"; response: ParsedResponse }
  | { kind: "reject"; status: number; reason: string; extra?: [string, string][] }
  | { kind: "drop"; reason: string };

/** The header section split into lines (unfolded), names as sent. */
export function headerLines(head: string): { lines: [string, string][]; bad?: string } {
  const raw = head.split("\r\n");
  const lines: [string, string][] = [];
  for (let i = 1; i < raw.length; i++) {
    let line = raw[i];
    if (line === "") continue;
    if (line[0] === " " || line[0] === "\t") {
      if (lines.length === 0) return { lines, bad: "folded line after the start line" };
      const last = lines[lines.length - 1];
      last[1] = `${last[1]} ${line.trim()}`.trim();
      continue;
    }
    // Continuation lines of this header.
    while (i + 1 < raw.length && (raw[i + 1][0] === " " || raw[i + 1][0] === "\t")) line += " " + raw[++i].trim();
    const colon = line.indexOf(":");
    if (colon <= 0) return { lines, bad: "header line without a name and colon" };
    const name = line.slice(0, colon).trimEnd();
    if (!TOKEN.test(name)) return { lines, bad: `bad header name ${JSON.stringify(name.slice(0, 40))}` };
    lines.push([name, line.slice(colon + 1).trim()]);
  }
  return { lines };
}

abstract class ParsedMessage {
  headers: Record<string, HeaderEntry[]> = {};
  method = "";
  body = "";
  callId = "";
  cseq = 0;
  #via?: ViaValue | null;
  #from?: NameAddrHeader | null;
  #to?: NameAddrHeader | null;

  constructor(readonly head: string) {}

  /** The whole message text (sip.js's `data`). */
  get data(): string {
    return `${this.head}\r\n\r\n${this.body}`;
  }

  /** The top Via, parsed. */
  get via(): ViaValue {
    if (this.#via === undefined) {
      const raw = this.headers["Via"]?.[0]?.raw;
      this.#via = raw === undefined ? null : parseViaValue(raw) ?? null;
    }
    return this.#via as ViaValue;
  }

  get viaBranch(): string {
    return this.via?.branch as string;
  }

  get from(): NameAddrHeader {
    if (this.#from === undefined) {
      const raw = this.getHeader("from");
      this.#from = raw === undefined ? null : parseNameAddrValue(raw) ?? null;
    }
    return this.#from as NameAddrHeader;
  }

  get to(): NameAddrHeader {
    if (this.#to === undefined) {
      const raw = this.getHeader("to");
      this.#to = raw === undefined ? null : parseNameAddrValue(raw) ?? null;
    }
    return this.#to as NameAddrHeader;
  }

  /** sip.js's type says string; like sip.js, it is undefined when the header has no tag. */
  get fromTag(): string {
    return (this.from?.getParam("tag") ?? undefined) as string;
  }

  get toTag(): string {
    return (this.to?.getParam("tag") ?? undefined) as string;
  }

  addHeader(name: string, value: string): void {
    const key = headerize(name);
    (this.headers[key] ??= []).push({ raw: value });
  }

  getHeader(name: string): string | undefined {
    return this.headers[headerize(name)]?.[0]?.raw;
  }

  getHeaders(name: string): string[] {
    return (this.headers[headerize(name)] ?? []).map((h) => h.raw);
  }

  hasHeader(name: string): boolean {
    return !!this.headers[headerize(name)];
  }

  setHeader(name: string, value: string): void {
    this.headers[headerize(name)] = [{ raw: value }];
  }

  /** A header value parsed on first use (cached); undefined when absent or unparseable. */
  // deno-lint-ignore no-explicit-any -- sip.js's grammar results are untyped
  parseHeader(name: string, idx = 0): any {
    const key = headerize(name);
    const entry = this.headers[key]?.[idx];
    if (!entry) return undefined;
    if (entry.parsed !== undefined) return entry.parsed;
    let parsed: Parsed | undefined;
    if (key === "CSeq") parsed = parseCSeq(entry.raw);
    else if (key === "Via") parsed = parseViaValue(entry.raw);
    else if (key === "From" || key === "To" || key === "Contact" || key === "Route" || key === "Record-Route") {
      parsed = entry.raw === "*" && key === "Contact" ? "*" : parseNameAddrValue(entry.raw);
    } else {
      const g = Grammar.parse(entry.raw, key.replace(/-/g, "_"));
      parsed = g === -1 ? undefined : g;
    }
    if (parsed !== undefined) entry.parsed = parsed;
    return parsed;
  }

  s(name: string, idx = 0): unknown {
    return this.parseHeader(name, idx);
  }

  toString(): string {
    return this.data;
  }
}

export class ParsedRequest extends ParsedMessage {
  ruri: URI | undefined;
  constructor(head: string, method: string, ruri: URI) {
    super(head);
    this.method = method;
    this.ruri = ruri;
  }
}

export class ParsedResponse extends ParsedMessage {
  constructor(head: string, readonly statusCode: number, readonly reasonPhrase: string) {
    super(head);
  }
}

const METHOD = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const STATUS_LINE = /^SIP\/2\.0 (\d{3}) ([^\r\n]*)$/;

/** Parses the header section `head` (no final CRLFCRLF) and attaches `body`. */
export function frame(
  head: string,
  bodyOf: (contentLength: number | null) => string | { error: string },
): FrameOutcome {
  const eol = head.indexOf("\r\n");
  const startLine = eol < 0 ? head : head.slice(0, eol);
  const split = headerLines(head);
  const isResponse = startLine.startsWith("SIP/");
  const fail = (reason: string, status = 400): FrameOutcome =>
    isResponse ? { kind: "drop", reason } : { kind: "reject", status, reason };

  let msg: ParsedRequest | ParsedResponse;
  if (isResponse) {
    const m = STATUS_LINE.exec(startLine);
    if (!m || Number(m[1]) < 100) return { kind: "drop", reason: "bad status line" };
    msg = new ParsedResponse(head, Number(m[1]), m[2].trim());
  } else {
    const parts = startLine.split(" ");
    if (parts.length !== 3 || !METHOD.test(parts[0]) || parts[1] === "") {
      return { kind: "reject", status: 400, reason: "malformed request line" };
    }
    const [method, uriText, version] = parts;
    if (version !== "SIP/2.0") {
      if (/^SIP\/\d+\.\d+$/.test(version)) return { kind: "reject", status: 505, reason: `unsupported ${version}` };
      return { kind: "reject", status: 400, reason: "malformed request line" };
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uriText)?.[1].toLowerCase();
    if (scheme !== undefined && scheme !== "sip" && scheme !== "sips") {
      return { kind: "reject", status: 416, reason: `unsupported URI scheme ${scheme.slice(0, 20)}` };
    }
    const ruri = parseSipUri(uriText);
    if (!ruri) return { kind: "reject", status: 400, reason: "bad Request-URI" };
    // §19.1.1: headers are not allowed in a Request-URI (RFC 4475 escruri).
    if (Object.keys(ruri.headers).length > 0) return { kind: "reject", status: 400, reason: "headers in Request-URI" };
    msg = new ParsedRequest(head, method, ruri);
  }
  if (split.bad) return fail(split.bad);

  for (const [sent, value] of split.lines) {
    const lower = sent.toLowerCase();
    const key = headerize(COMPACT[lower] ?? lower);
    const list = msg.headers[key] ??= [];
    if (LIST_HEADERS.has(key)) {
      const parts = splitList(value);
      if (!parts) return fail(`empty element in ${key}`);
      for (const p of parts) list.push({ raw: p });
    } else list.push({ raw: value });
  }
  const h = msg.headers;
  for (const name of SINGLE) if ((h[name]?.length ?? 0) > 1) return fail(`more than one ${name}`);
  for (const name of ["Via", "From", "To", "Call-ID", "CSeq"]) if (!h[name]) return fail(`missing ${name} header`);

  const via = msg.via;
  if (!via) return fail("malformed Via");
  if (via.branch === "z9hG4bK") return fail("branch is the magic cookie alone");
  if (!msg.from) return fail("malformed From");
  if (!msg.to) return fail("malformed To");
  const callId = h["Call-ID"][0].raw;
  if (!CALL_ID.test(callId)) return fail("malformed Call-ID");
  msg.callId = callId;
  const cseq = parseCSeq(h["CSeq"][0].raw);
  if (!cseq) return fail("malformed CSeq");
  h["CSeq"][0].parsed = cseq;
  msg.cseq = cseq.value;
  if (msg instanceof ParsedResponse) msg.method = cseq.method;
  else {
    if (cseq.method !== msg.method) return fail("CSeq method does not match");
    if (cseq.value >= 2 ** 31) return fail("CSeq number too large");
  }
  for (const [i, c] of (h["Contact"] ?? []).entries()) {
    if (c.raw === "*" && h["Contact"].length === 1) continue;
    const parsed = parseNameAddrValue(c.raw);
    if (!parsed) return fail("malformed Contact");
    h["Contact"][i].parsed = parsed;
  }
  const mf = h["Max-Forwards"]?.[0].raw;
  if (mf !== undefined && !/^\d{1,9}$/.test(mf)) return fail("malformed Max-Forwards");
  const type = h["Content-Type"]?.[0].raw;
  if (type !== undefined && !MEDIA_TYPE.test(type) && Grammar.parse(type, "Content_Type") === -1) {
    return fail("malformed Content-Type");
  }
  const date = h["Date"]?.[0].raw;
  if (date !== undefined && !SIP_DATE.test(date)) return fail("malformed Date");

  const cl = h["Content-Length"]?.[0].raw;
  if (cl !== undefined && !/^\d{1,9}$/.test(cl)) return fail("malformed Content-Length");
  const body = bodyOf(cl === undefined ? null : Number(cl));
  if (typeof body !== "string") return fail(body.error);
  msg.body = body;
  return msg instanceof ParsedResponse ? { kind: "response", response: msg } : { kind: "request", request: msg };
}

/** The fast paths alone, for tests that compare them with the grammar. */
export const fastPaths = { uri: fastUri, nameAddr: fastNameAddr, via: fastVia };
