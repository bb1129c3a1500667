// Runtime configuration from environment variables; the README's configuration table mirrors this.

import type { BucketRule } from "./token_bucket.ts";
import { parseKey } from "./secret_box.ts";

export type TalkspaceEnv = "development" | "production" | "test";

export interface Config {
  port: number;
  dataDir: string;
  env: TalkspaceEnv;
  /** Origin people reach the site at, without a trailing slash (e.g. https://meet.example.org). */
  publicUrl: string;
  /** smtp:// or smtps:// URL; empty means the development outbox. */
  smtpUrl: string;
  mailFrom: string;
  adminEmail: string;
  /** Path of the KV sqlite file; empty on Deno Deploy, where Deno.openKv() takes no path. */
  kvPath: string;
  /** Optional fixed secret for signing (CSRF tokens, links); generated and kept in KV when empty. */
  secretKey: string;
  /** Take the client address from X-Forwarded-For (only behind a reverse proxy you run). */
  trustProxy: boolean;
  /** Meeting chat flood limits (CHAT_LIMIT_PER_PERSON / CHAT_LIMIT_PER_MEETING, "burst/perSecond"); null: the defaults. */
  chatPerPerson: BucketRule | null;
  chatPerMeeting: BucketRule | null;
  /** The media gateway's internal API (signed with gatewaySecret); empty secret = no audio/video. */
  gatewayUrl: string;
  gatewaySecret: string;
  /** The Janus WebSocket browsers connect to (same variable the gateway reads); allowed by the meeting page's CSP. */
  janusWsUrl: string;
  /**
   * Domain of the SIP URIs people dial (`sip:<meetingId>@SIP_DOMAIN`): SIP_DOMAIN, or PUBLIC_URL's
   * host name when unset (the gateway answers SIP on that host by default); empty when SIP_DOMAIN
   * is `off`: no SIP URI is shown. (SIP_HOST is the gateway's bind address, not a name people dial.)
   */
  sipDomain: string;
  /** A phone number (DID) that reaches the gateway's IVR, shown as the dial-in number; empty: none. */
  sipDidNumber: string;
  /**
   * Keys (32 bytes each) that encrypt TOTP secrets at rest, the current one first; older ones still
   * decrypt. Empty: a key derived from the server secret (SECRET_KEY, or the one kept in KV).
   */
  totpEncryptionKeys: Uint8Array[];
  /**
   * A label for this deploy (TALKSPACE_RELEASE, e.g. a commit id), part of the service worker's
   * version: a deploy that changes only server-rendered pages can set it so installed apps refresh
   * their offline page. Empty: the worker changes only with the static build and its own code.
   */
  release: string;
  /** Days a finished recording is kept before it is deleted (RECORDING_RETENTION_DAYS, default 30). */
  recordingRetentionDays: number;
}

const ENVS: TalkspaceEnv[] = ["development", "production", "test"];

/** A host name, IPv4 address or bracketed IPv6 address, with an optional port: what follows `@` in a SIP URI. */
const SIP_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** SIP_DOMAIN: unset or empty means PUBLIC_URL's host name; `off` shows no SIP URI anywhere. */
function sipDomainOf(value: string | undefined, publicUrl: string): string {
  const v = (value ?? "").trim();
  if (v.toLowerCase() === "off") return "";
  if (!v) return new URL(publicUrl).hostname;
  if (!SIP_HOST.test(v)) {
    throw new Error(
      `SIP_DOMAIN must be a host name like sip.example.org (optionally :port), or off; got ${JSON.stringify(value)}`,
    );
  }
  return v;
}

/**
 * TOTP_ENCRYPTION_KEYS (comma-separated, current first) or TOTP_ENCRYPTION_KEY (one key); each is
 * 64 hex digits or 32 bytes in base64/base64url. Errors name the variable and position, never the value.
 */
function totpKeysOf(env: Record<string, string | undefined>): Uint8Array[] {
  const list = (env.TOTP_ENCRYPTION_KEYS ?? "").trim();
  const one = (env.TOTP_ENCRYPTION_KEY ?? "").trim();
  if (list && one) throw new Error("Set TOTP_ENCRYPTION_KEYS or TOTP_ENCRYPTION_KEY, not both");
  const name = list ? "TOTP_ENCRYPTION_KEYS" : "TOTP_ENCRYPTION_KEY";
  const texts = list ? list.split(",").map((s) => s.trim()) : one ? [one] : [];
  return texts.map((text, i) => {
    const key = parseKey(text);
    if (!key) {
      const which = list ? ` (entry ${i + 1})` : "";
      throw new Error(`${name}${which} must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)`);
    }
    return key;
  });
}

/** Reads the configuration; throws with the variable's name when a value is malformed. */
/** "burst/perSecond" (two positive whole numbers), or null when unset. */
function bucketRuleOf(name: string, value: string | undefined): BucketRule | null {
  if (value === undefined || value === "") return null;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
    throw new Error(`${name} must be "burst/perSecond" with two positive whole numbers, e.g. "20/5"`);
  }
  return { burst: Number(m[1]), perSecond: Number(m[2]) };
}

export function loadConfig(env: Record<string, string | undefined> = Deno.env.toObject()): Config {
  const port = Number(env.PORT ?? "8000");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  }
  const talkspaceEnv = (env.TALKSPACE_ENV ?? "development") as TalkspaceEnv;
  if (!ENVS.includes(talkspaceEnv)) {
    throw new Error(`TALKSPACE_ENV must be one of ${ENVS.join(", ")}, got ${JSON.stringify(env.TALKSPACE_ENV)}`);
  }
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, "");
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error();
  } catch {
    throw new Error(`PUBLIC_URL must be an http(s) URL, got ${JSON.stringify(env.PUBLIC_URL)}`);
  }
  const dataDir = env.DATA_DIR ?? "./data";
  const janusWsUrl = env.JANUS_WS_URL ?? "ws://127.0.0.1:8188/";
  if (!/^wss?:\/\/[^/]+/.test(janusWsUrl)) {
    throw new Error(`JANUS_WS_URL must be a ws:// or wss:// URL, got ${JSON.stringify(env.JANUS_WS_URL)}`);
  }
  const onDeploy = Boolean(env.DENO_DEPLOYMENT_ID);
  return {
    port,
    dataDir,
    env: talkspaceEnv,
    publicUrl,
    smtpUrl: env.SMTP_URL ?? "",
    mailFrom: env.MAIL_FROM ?? `Talkspace <no-reply@${new URL(publicUrl).hostname}>`,
    adminEmail: (env.ADMIN_EMAIL ?? "").trim().toLowerCase(),
    kvPath: env.KV_PATH ?? (onDeploy ? "" : `${dataDir}/talkspace.kv`),
    secretKey: env.SECRET_KEY ?? "",
    trustProxy: env.TRUST_PROXY === "1" || env.TRUST_PROXY === "true",
    chatPerPerson: bucketRuleOf("CHAT_LIMIT_PER_PERSON", env.CHAT_LIMIT_PER_PERSON),
    chatPerMeeting: bucketRuleOf("CHAT_LIMIT_PER_MEETING", env.CHAT_LIMIT_PER_MEETING),
    gatewayUrl: (env.GATEWAY_URL ?? "http://127.0.0.1:8090").replace(/\/+$/, ""),
    gatewaySecret: env.GATEWAY_SECRET ?? "",
    janusWsUrl,
    sipDomain: sipDomainOf(env.SIP_DOMAIN, publicUrl),
    sipDidNumber: (env.SIP_DID_NUMBER ?? "").trim(),
    totpEncryptionKeys: totpKeysOf(env),
    release: (env.TALKSPACE_RELEASE ?? "").trim(),
    recordingRetentionDays: retentionDaysOf(env.RECORDING_RETENTION_DAYS),
  };
}

/** RECORDING_RETENTION_DAYS: a whole number of days from 1 to 3650 (default 30). */
function retentionDaysOf(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 30;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3650) {
    throw new Error(
      `RECORDING_RETENTION_DAYS must be a whole number of days from 1 to 3650, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** True when cookies must carry Secure and the __Host- prefix. */
export function isHttps(config: Config): boolean {
  return config.publicUrl.startsWith("https:");
}
