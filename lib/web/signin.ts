// Starting and ending cookie sessions, shared by the password step and the TOTP
// step (both in routes/signin.tsx): every sign-in rotates the session token, and `next` stays a local path.

import type { Context } from "hono";
import { createSession, deleteSession, PENDING_TTL_MS, SESSION_TTL_MS } from "../accounts/sessions.ts";
import type { Session } from "../accounts/sessions.ts";
import type { User } from "../accounts/users.ts";
import { clearCookie, SESSION_COOKIE, writeCookie } from "./cookies.ts";
import type { Env } from "./types.ts";
import { logger } from "../common/log.ts";

const log = logger("signin");

/** Where the TOTP step lives; the password step sends two-factor accounts there. */
export const TOTP_STEP_PATH = "/signin/totp";

const SAFE_BASE = "http://talkspace.invalid";

/**
 * The one check for every return URL (?next=, hidden form fields): `next` as a path on this site,
 * else null. Judged on what a browser would make of it, after parsing and normalising (`/.//x`,
 * `/..//x` and `/%2e//x` all become `//x`, another host): the result must be "/" or start with one
 * "/" and a character other than "/" or "\". Refused before parsing: anything not starting with "/",
 * backslashes, control characters and percent-encoded "/", "\", "." or controls in the path (servers
 * and proxies decode those, so they may turn into separators or dot segments later). The path
 * returned is the parsed one (ASCII, percent-encoded), so the Location header is exactly what was checked.
 */
export function safeNext(next: unknown): string | null {
  if (typeof next !== "string" || next.length === 0 || next.length > 2000) return null;
  if (!next.startsWith("/")) return null;
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  if (/[\\\u0000-\u001f\u007f-\u009f]/.test(next)) return null;
  const path = next.replace(/[?#].*$/s, "");
  if (/%(2f|5c|2e|[01][0-9a-f]|7f)/i.test(path)) return null;
  let url: URL;
  try {
    url = new URL(next, SAFE_BASE);
  } catch {
    return null;
  }
  if (url.origin !== SAFE_BASE) return null;
  const local = url.pathname + url.search + url.hash;
  if (!/^\/(?![/\\])/.test(local)) return null;
  // A browser resolving the Location header must land on the same path (and origin) again.
  const again = new URL(local, SAFE_BASE);
  if (again.origin !== SAFE_BASE || again.pathname + again.search + again.hash !== local) return null;
  return local;
}

/** Ends the request's cookie session (full or half-signed-in), if any, and clears the cookie. */
export async function endCurrentSession(c: Context<Env>): Promise<void> {
  const current = c.get("session");
  if (current) await deleteSession(c.get("deps").kv, current.tokenHash);
  clearCookie(c, SESSION_COOKIE);
}

/**
 * Replaces whatever session the request had with a new one of `stage` and sets the cookie, so a
 * token planted or seen before sign-in never becomes a signed-in session (session fixation).
 */
export async function startSession(c: Context<Env>, user: User, stage: Session["stage"]): Promise<void> {
  const { kv } = c.get("deps");
  const current = c.get("session");
  if (current) await deleteSession(kv, current.tokenHash);
  const { token } = await createSession(kv, user.id, stage, c.req.header("user-agent") ?? "");
  const ttl = stage === "full" ? SESSION_TTL_MS : PENDING_TTL_MS;
  writeCookie(c, SESSION_COOKIE, token, Math.floor(ttl / 1000));
}

/**
 * Finishes a sign-in once every factor is checked: ends the pending (or any previous) session,
 * starts a full one, sets the cookie and redirects (303) to `next` when it is local, else /dashboard.
 */
export async function completeSignIn(c: Context<Env>, user: User, next?: string | null): Promise<Response> {
  await startSession(c, user, "full");
  log.info("signed in", { userId: user.id });
  return c.redirect(safeNext(next) ?? "/dashboard", 303);
}

/**
 * After a correct password: accounts with two-factor get a half-signed-in session and go to the
 * TOTP step (with `next` passed along as ?next=); others are signed in completely.
 */
export async function afterPassword(c: Context<Env>, user: User, next?: string | null): Promise<Response> {
  if (!user.totpSecret) return await completeSignIn(c, user, next);
  await startSession(c, user, "totp");
  const local = safeNext(next);
  return c.redirect(local ? `${TOTP_STEP_PATH}?next=${encodeURIComponent(local)}` : TOTP_STEP_PATH, 303);
}
