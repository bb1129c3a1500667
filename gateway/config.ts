// Gateway configuration from environment variables; docs/gateway.md's table mirrors this.

import { randomHex } from "../lib/common/random.ts";
import { DEFAULT_LOCALE, isLocale, type Locale, LOCALES } from "../lib/i18n/locales.ts";
import { type RecordingConfig, recordingConfig } from "./recording/config.ts";

export interface IceServer {
  urls: string;
  username?: string;
  credential?: string;
}

export interface GatewayConfig {
  /** HTTP API (signed, for the web app). */
  port: number;
  host: string;
  /** Shared with the web app; signs every internal request. */
  secret: string;
  /** Janus API URL handed to browsers. */
  janusPublicUrl: string;
  /** Janus API URL the gateway itself connects to. */
  janusApiUrl: string;
  /** Janus Admin API (WebSocket, loopback) URL. */
  janusAdminUrl: string;
  /** When true, Janus is started and supervised by someone else (systemd, another container). */
  janusExternal: boolean;
  janusBinary: string;
  /** Where the rendered Janus configuration goes (`${dataDir}/janus`). */
  dataDir: string;
  janusWsPort: number;
  janusWsIp: string;
  /**
   * Where Janus binds plain-RTP sockets (AudioBridge participants, VideoRoom remote publishers) and
   * where the gateway sends to them: loopback, as Janus runs beside the gateway; never a public address.
   */
  janusPlainRtpIp: string;
  janusAdminWsPort: number;
  /** Janus Admin API secret; generated per start when not set (it never leaves this process and Janus). */
  janusAdminSecret: string;
  /** VideoRoom/AudioBridge admin key; generated per start when not set. */
  janusAdminKey: string;
  rtpPortRange: [number, number];
  iceEnforceList: string;
  iceIgnoreList: string;
  natOneToOne: string;
  stun: { host: string; port: number } | null;
  iceServers: IceServer[];
  janusDebugLevel: number;
  sip: SipConfig;
  /** Recordings: RECORDINGS_DIR, free-space floor, jobs, composed video (gateway/recording/config.ts). */
  recording: RecordingConfig;
}

/** Dial-in/dial-out (gateway/calls/); `port` 0 turns SIP off. */
export interface SipConfig {
  host: string;
  port: number;
  /** Address put in SDP and Contact. */
  advertisedHost: string;
  /** Ports of the per-call RTP relays (caller-facing sockets). */
  rtpPortRange: [number, number];
  trunkIps: string[];
  /** Digest users (room systems, softphones) by name. */
  authUsers: Record<string, string>;
  authRealm: string;
  /** The dial-in number's user part (e.g. `+4930123456`): reaches the IVR. */
  did: string;
  /**
   * The phone menu's language until the meeting is known (welcome, meeting ID), and for meetings
   * whose host chose no language (SIP_LANGUAGE, a lib/i18n locale).
   */
  language: Locale;
  /** Room systems' video (H.264/VP8) is answered; off = video m-lines are refused (port 0). */
  video: boolean;
  /** H.264-only room systems get the speaker's VP8 transcoded by ffmpeg: "auto" (when found) or "off". */
  transcode: "auto" | "off";
  /** A dial-out that rings this long without an answer is cancelled (no-answer). */
  dialOutNoAnswerMs: number;
  /** Dial-outs go through this SIP URI (`sip:proxy.example.org:5060`); empty = dial-out of numbers off. */
  outboundProxy: string;
  /** Credentials for the trunk when it challenges our dial-outs. */
  credentials: { username: string; password: string } | null;
  /** The web app's internal API (gateway → web). */
  webInternalUrl: string;
}

function flag(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  if (/^(1|true|on|yes)$/i.test(value)) return true;
  if (/^(0|false|off|no)$/i.test(value)) return false;
  throw new Error(`${name} must be on or off, got ${JSON.stringify(value)}`);
}

function port(name: string, value: string | undefined, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(`${name} must be a port number, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses `stun:host[:port]` (the form browsers use) into Janus's stun_server/stun_port. */
export function parseStunUrl(url: string): { host: string; port: number } {
  const m = /^stuns?:(\[[^\]]+\]|[^:?]+)(?::(\d+))?$/.exec(url.trim());
  if (!m) throw new Error(`STUN_URL must look like stun:host[:port], got ${JSON.stringify(url)}`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port: m[2] ? Number(m[2]) : 3478 };
}

function portRange(
  value: string | undefined,
  name = "JANUS_RTP_PORT_RANGE",
  fallback = "20000-40000",
): [number, number] {
  const raw = value ?? fallback;
  const m = /^(\d+)-(\d+)$/.exec(raw);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!m || lo < 1024 || hi > 65535 || lo >= hi) {
    throw new Error(`${name} must look like ${fallback}, got ${JSON.stringify(value)}`);
  }
  return [lo, hi];
}

/** The first non-loopback IPv4 address of this host, or null. */
export function firstNonLoopbackIpv4(): string | null {
  try {
    for (const i of Deno.networkInterfaces()) {
      if (i.family === "IPv4" && !i.address.startsWith("127.")) return i.address;
    }
  } catch { /* no permission: fall back */ }
  return null;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** A warning for main.ts when the relays' ports and Janus's overlap (both retry busy ports, but firewalls get confusing). */
export function portRangeOverlap(config: GatewayConfig): string | null {
  const [a, b] = [config.sip.rtpPortRange, config.rtpPortRange];
  if (config.sip.port === 0 || a[0] > b[1] || b[0] > a[1]) return null;
  return `SIP_RTP_PORT_RANGE ${a.join("-")} overlaps JANUS_RTP_PORT_RANGE ${b.join("-")}`;
}

function sipConfig(env: Record<string, string | undefined>): SipConfig {
  const host = env.SIP_HOST ?? "0.0.0.0";
  const sipPort = port("SIP_PORT", env.SIP_PORT, 5060);
  const rtpPortRange = portRange(env.SIP_RTP_PORT_RANGE, "SIP_RTP_PORT_RANGE", "41000-41999");
  const trunkIps = (env.SIP_TRUNK_IPS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  for (const cidr of trunkIps) {
    const [ip, bits] = cidr.split("/");
    if (!IPV4.test(ip) || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= 32))) {
      throw new Error(`SIP_TRUNK_IPS must be IPv4 addresses or CIDR blocks, got ${JSON.stringify(cidr)}`);
    }
  }
  const authUsers: Record<string, string> = {};
  for (const pair of (env.SIP_AUTH_USERS ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const i = pair.indexOf(":");
    if (i <= 0 || i === pair.length - 1) {
      throw new Error("SIP_AUTH_USERS must look like user:password,user2:password2");
    }
    authUsers[pair.slice(0, i)] = pair.slice(i + 1);
  }
  const outboundProxy = (env.SIP_OUTBOUND_PROXY ?? "").trim();
  if (outboundProxy && !/^sips?:[^\s]+$/.test(outboundProxy)) {
    throw new Error(`SIP_OUTBOUND_PROXY must be a sip: URI, got ${JSON.stringify(outboundProxy)}`);
  }
  const webInternalUrl = (env.WEB_INTERNAL_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(webInternalUrl)) {
    throw new Error(`WEB_INTERNAL_URL must be an http(s) URL, got ${JSON.stringify(env.WEB_INTERNAL_URL)}`);
  }
  const unspecified = host === "0.0.0.0" || host === "::";
  return {
    host,
    port: sipPort,
    advertisedHost: env.SIP_ADVERTISED_HOST || (unspecified ? firstNonLoopbackIpv4() ?? "127.0.0.1" : host),
    rtpPortRange,
    trunkIps,
    authUsers,
    authRealm: env.SIP_AUTH_REALM || "talkspace",
    did: (env.SIP_DID ?? "").trim(),
    language: (() => {
      const v = (env.SIP_LANGUAGE ?? "").trim().toLowerCase() || DEFAULT_LOCALE;
      if (isLocale(v)) return v;
      throw new Error(`SIP_LANGUAGE must be one of ${LOCALES.join(", ")}, got ${JSON.stringify(env.SIP_LANGUAGE)}`);
    })(),
    video: flag("SIP_VIDEO", env.SIP_VIDEO, true),
    transcode: (() => {
      const v = (env.SIP_VIDEO_TRANSCODE ?? "").trim().toLowerCase();
      if (v === "" || v === "auto") return "auto";
      if (v === "off") return "off";
      throw new Error(`SIP_VIDEO_TRANSCODE must be auto or off, got ${JSON.stringify(env.SIP_VIDEO_TRANSCODE)}`);
    })(),
    dialOutNoAnswerMs: (() => {
      const v = Number(env.SIP_DIAL_OUT_NO_ANSWER_SECONDS ?? 60);
      if (!Number.isFinite(v) || v < 1 || v > 600) {
        throw new Error(
          `SIP_DIAL_OUT_NO_ANSWER_SECONDS must be 1-600, got ${JSON.stringify(env.SIP_DIAL_OUT_NO_ANSWER_SECONDS)}`,
        );
      }
      return Math.round(v * 1000);
    })(),
    outboundProxy,
    credentials: env.SIP_USERNAME ? { username: env.SIP_USERNAME, password: env.SIP_PASSWORD ?? "" } : null,
    webInternalUrl,
  };
}

/** Reads the configuration; throws with the variable's name when a value is missing or malformed. */
export function loadGatewayConfig(env: Record<string, string | undefined> = Deno.env.toObject()): GatewayConfig {
  const secret = env.GATEWAY_SECRET ?? "";
  if (secret.length < 16) {
    throw new Error("GATEWAY_SECRET must be set (at least 16 characters, shared with the web app)");
  }
  const janusWsPort = port("JANUS_WS_PORT", env.JANUS_WS_PORT, 8188);
  const janusAdminWsPort = port("JANUS_ADMIN_WS_PORT", env.JANUS_ADMIN_WS_PORT, 7188);
  for (const name of ["JANUS_WS_URL", "JANUS_API_URL", "JANUS_ADMIN_URL"]) {
    const v = env[name];
    if (v && !/^wss?:\/\//.test(v)) throw new Error(`${name} must be a ws:// or wss:// URL, got ${JSON.stringify(v)}`);
  }
  const iceServers: IceServer[] = [];
  let stun = null;
  if (env.STUN_URL) {
    stun = parseStunUrl(env.STUN_URL);
    iceServers.push({ urls: env.STUN_URL });
  }
  if (env.TURN_URL) {
    if (!/^turns?:/.test(env.TURN_URL)) {
      throw new Error(`TURN_URL must start with turn: or turns:, got ${env.TURN_URL}`);
    }
    iceServers.push({ urls: env.TURN_URL, username: env.TURN_USERNAME ?? "", credential: env.TURN_CREDENTIAL ?? "" });
  }
  const janusExternal = env.JANUS_EXTERNAL === "1" || env.JANUS_EXTERNAL === "true";
  if (janusExternal && (!env.JANUS_ADMIN_SECRET || !env.JANUS_ADMIN_KEY)) {
    // An external Janus was configured by someone else: we cannot invent its secrets.
    throw new Error("JANUS_EXTERNAL=1 needs JANUS_ADMIN_SECRET and JANUS_ADMIN_KEY (matching that Janus's config)");
  }
  const debugLevel = Number(env.JANUS_DEBUG_LEVEL ?? 4);
  if (!Number.isInteger(debugLevel) || debugLevel < 0 || debugLevel > 7) {
    throw new Error(`JANUS_DEBUG_LEVEL must be 0-7, got ${JSON.stringify(env.JANUS_DEBUG_LEVEL)}`);
  }
  const janusRange = portRange(env.JANUS_RTP_PORT_RANGE);
  return {
    port: port("GATEWAY_PORT", env.GATEWAY_PORT, 8090),
    host: env.GATEWAY_HOST ?? "127.0.0.1",
    secret,
    janusPublicUrl: env.JANUS_WS_URL ?? `ws://127.0.0.1:${janusWsPort}/`,
    janusApiUrl: env.JANUS_API_URL ?? `ws://127.0.0.1:${janusWsPort}/`,
    janusAdminUrl: env.JANUS_ADMIN_URL ?? `ws://127.0.0.1:${janusAdminWsPort}/`,
    janusExternal,
    janusBinary: env.JANUS_BINARY ?? "janus",
    dataDir: env.DATA_DIR ?? "./data",
    janusWsPort,
    janusWsIp: env.JANUS_WS_IP ?? "127.0.0.1",
    janusPlainRtpIp: env.JANUS_PLAIN_RTP_IP || "127.0.0.1",
    janusAdminWsPort,
    janusAdminSecret: env.JANUS_ADMIN_SECRET || randomHex(24),
    janusAdminKey: env.JANUS_ADMIN_KEY || randomHex(24),
    rtpPortRange: janusRange,
    iceEnforceList: env.JANUS_ICE_ENFORCE_LIST ?? "",
    iceIgnoreList: env.JANUS_ICE_IGNORE_LIST ?? "vmnet",
    natOneToOne: env.JANUS_NAT_1_1_MAPPING ?? "",
    stun,
    iceServers,
    janusDebugLevel: debugLevel,
    sip: sipConfig(env),
    recording: recordingConfig(env, env.DATA_DIR ?? "./data"),
  };
}
