// Who may call: trunks by source address, everyone else by digest authentication (RFC 2617 /
// RFC 7616 with MD5, qop=auth), and the client side of digest for our own dial-outs.

import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { parseAuthParams, type SipRequest } from "./message.ts";
import { randomHex } from "../../lib/common/random.ts";

export interface DigestUsers {
  realm: string;
  /** username → password. */
  users: Record<string, string>;
  /** How long a nonce stays valid; an expired one gets a fresh challenge with stale=true. */
  nonceTtlMs?: number;
}

export interface AccessPolicy {
  /** IPv4 addresses or CIDR blocks (trunks) allowed without authentication. */
  trustedSources?: string[];
  /** When set, sources not in trustedSources must authenticate; when unset they get 403. */
  digest?: DigestUsers;
}

export type AccessDecision =
  | { kind: "allow"; user: string | null }
  | { kind: "challenge"; header: string }
  | { kind: "deny"; reason: string };

export function md5(text: string): string {
  return createHash("md5").update(text).digest("hex");
}

function ipv4ToInt(ip: string): number | null {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((acc, p) => (acc * 256) + Number(p), 0);
}

/** True when `ip` equals an entry or falls inside a CIDR block (IPv4; IPv6 by exact match). */
export function addressAllowed(ip: string, list: string[]): boolean {
  for (const entry of list) {
    const [net, bits] = entry.split("/");
    if (bits === undefined) {
      if (net === ip) return true;
      continue;
    }
    const a = ipv4ToInt(ip);
    const n = ipv4ToInt(net);
    const b = Number(bits);
    if (a === null || n === null || !Number.isInteger(b) || b < 0 || b > 32) continue;
    const mask = b === 0 ? 0 : (~0 << (32 - b)) >>> 0;
    if (((a & mask) >>> 0) === ((n & mask) >>> 0)) return true;
  }
  return false;
}

export class AccessControl {
  #policy: AccessPolicy;
  /** Signs nonces, so they need no server-side storage and expire on their own. */
  #secret = randomHex(16);

  constructor(policy: AccessPolicy = {}) {
    this.#policy = policy;
  }

  get open(): boolean {
    return !this.#policy.trustedSources && !this.#policy.digest;
  }

  check(req: SipRequest, sourceIp: string): AccessDecision {
    const { trustedSources, digest } = this.#policy;
    if (this.open) return { kind: "allow", user: null };
    if (trustedSources && addressAllowed(sourceIp, trustedSources)) return { kind: "allow", user: null };
    if (!digest) return { kind: "deny", reason: "source not allowed" };
    const auth = req.getHeader("authorization");
    if (!auth) return { kind: "challenge", header: this.#challenge(false) };
    const { scheme, params } = parseAuthParams(auth);
    if (scheme.toLowerCase() !== "digest") return { kind: "challenge", header: this.#challenge(false) };
    const password = Object.hasOwn(digest.users, params.username ?? "") ? digest.users[params.username] : undefined;
    if (password === undefined || params.realm !== digest.realm || !params.nonce || !params.response) {
      return { kind: "deny", reason: "unknown user or realm" };
    }
    if ((params.algorithm ?? "MD5").toUpperCase() !== "MD5") {
      return { kind: "challenge", header: this.#challenge(false) };
    }
    const nonceState = this.#nonceState(params.nonce);
    if (nonceState === "forged") return { kind: "challenge", header: this.#challenge(false) };
    const ha1 = md5(`${params.username}:${digest.realm}:${password}`);
    const ha2 = md5(`${req.method}:${params.uri ?? ""}`);
    const expected = params.qop
      ? md5(`${ha1}:${params.nonce}:${params.nc ?? ""}:${params.cnonce ?? ""}:${params.qop}:${ha2}`)
      : md5(`${ha1}:${params.nonce}:${ha2}`);
    const given = params.response.toLowerCase();
    const ok = given.length === expected.length &&
      timingSafeEqual(new TextEncoder().encode(given), new TextEncoder().encode(expected));
    if (!ok) return { kind: "deny", reason: "wrong digest response" };
    // A correct answer to an expired nonce: ask again without bothering the user (RFC 2617 stale).
    if (nonceState === "expired") return { kind: "challenge", header: this.#challenge(true) };
    return { kind: "allow", user: params.username };
  }

  #sign(expires: number, salt: string): string {
    return createHmac("sha256", this.#secret).update(`${expires}.${salt}`).digest("hex").slice(0, 32);
  }

  #nonceState(nonce: string): "valid" | "expired" | "forged" {
    const [expires, salt, sig] = nonce.split(".");
    if (!expires || !salt || !sig || this.#sign(Number(expires), salt) !== sig) return "forged";
    return Date.now() > Number(expires) ? "expired" : "valid";
  }

  #challenge(stale: boolean): string {
    const digest = this.#policy.digest!;
    const expires = Date.now() + (digest.nonceTtlMs ?? 300_000);
    const salt = randomHex(8);
    const nonce = `${expires}.${salt}.${this.#sign(expires, salt)}`;
    return `Digest realm="${digest.realm}", nonce="${nonce}", algorithm=MD5, qop="auth"${stale ? ", stale=true" : ""}`;
  }
}

/** The Authorization value answering a WWW-/Proxy-Authenticate challenge (client side). */
export function digestAuthorization(
  challenge: string,
  credentials: { username: string; password: string },
  method: string,
  uri: string,
  nc = 1,
): string | null {
  const { scheme, params } = parseAuthParams(challenge);
  if (scheme.toLowerCase() !== "digest" || !params.nonce) return null;
  if ((params.algorithm ?? "MD5").toUpperCase() !== "MD5") return null;
  const realm = params.realm ?? "";
  const ha1 = md5(`${credentials.username}:${realm}:${credentials.password}`);
  const ha2 = md5(`${method}:${uri}`);
  const qops = (params.qop ?? "").split(",").map((q) => q.trim());
  const parts = [
    `Digest username="${credentials.username}"`,
    `realm="${realm}"`,
    `nonce="${params.nonce}"`,
    `uri="${uri}"`,
    `algorithm=MD5`,
  ];
  if (qops.includes("auth")) {
    const cnonce = randomHex(8);
    const ncHex = nc.toString(16).padStart(8, "0");
    parts.push(
      `response="${md5(`${ha1}:${params.nonce}:${ncHex}:${cnonce}:auth:${ha2}`)}"`,
      `qop=auth`,
      `nc=${ncHex}`,
      `cnonce="${cnonce}"`,
    );
  } else {
    parts.push(`response="${md5(`${ha1}:${params.nonce}:${ha2}`)}"`);
  }
  if (params.opaque !== undefined) parts.push(`opaque="${params.opaque}"`);
  return parts.join(", ");
}
