// Cross-cutting middleware: security headers with a CSP nonce, body limits, session and token auth, CSRF.

import type { Context, MiddlewareHandler, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getConnInfo } from "hono/deno";
import { matchedRoutes } from "hono/route";
import { timingSafeEqual } from "../common/ids.ts";
import { pooledRandomChars } from "../common/random.ts";
import { getSession } from "../accounts/sessions.ts";
import { getUser } from "../accounts/users.ts";
import { findApiToken, touchApiToken } from "../accounts/api_tokens.ts";
import { Forbidden, Unauthorized } from "../common/errors.ts";
import { CSRF_COOKIE, readCookie, SESSION_COOKIE } from "./cookies.ts";
import { isHttps } from "../common/config.ts";
import type { AppDeps, Env } from "./types.ts";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyRequest } from "../common/signing.ts";
import { logger } from "../common/log.ts";
import { problem } from "../contracts/problem.ts";
import { PayloadTooLarge } from "./errors.ts";

const log = logger("web");

/** Path prefix of the gateway → web API (routes/internal/sip.ts), authenticated by signature only. */
export const INTERNAL_PREFIX = "/internal/";

/**
 * True when the request carries a valid gateway signature (GATEWAY_SECRET, lib/common/signing.ts);
 * always false when no secret is configured. Reads the body (Hono caches it for the handler).
 */
export async function gatewaySignatureOk(c: Context<Env>): Promise<boolean> {
  const secret = c.get("deps").config.gatewaySecret;
  if (!secret) return false;
  const url = new URL(c.req.url);
  const body = c.req.method === "GET" || c.req.method === "HEAD" ? "" : await c.req.text();
  const result = verifyRequest(secret, c.req.method, url.pathname + url.search, body, {
    timestamp: c.req.header(TIMESTAMP_HEADER) ?? null,
    signature: c.req.header(SIGNATURE_HEADER) ?? null,
  });
  if (!result.ok) log.warn("unsigned or forged internal request", { path: url.pathname, reason: result.reason });
  return result.ok;
}

/** A CSP nonce: 22 base64url characters, 132 random bits. */
export function randomNonce(): string {
  return pooledRandomChars(22);
}

/** A double-submit CSRF token: 32 base64url characters, 192 random bits. */
export function randomCsrfToken(): string {
  return pooledRandomChars(32);
}

/** Puts the app's dependencies on every request. */
export function provideDeps(deps: AppDeps): MiddlewareHandler<Env> {
  return async function provideDeps(c, next) {
    c.set("deps", deps);
    c.set("clientIp", clientIp(c, deps));
    await next();
  };
}

function clientIp(c: Context<Env>, deps: AppDeps): string {
  if (deps.config.trustProxy) {
    const fwd = c.req.header("x-forwarded-for");
    if (fwd) return fwd.split(",")[0].trim();
  }
  try {
    const info = getConnInfo(c);
    return info.remote.address ?? "unknown";
  } catch {
    return "unknown"; // in-process app.request() has no connection
  }
}

/**
 * Strict CSP with a per-response nonce, plus the usual hardening headers. They go onto the finished
 * response: in Deno, headers passed to `new Response()` (which Hono does with any header set before
 * the handler) cost about 1.4 µs each, while setting them on the response afterwards is nearly free.
 * A response that already has a policy keeps it, unless the page widened connect-src. A built
 * script, stylesheet or raster image (SUBRESOURCE_PATH, SUBRESOURCE_TYPE) gets only the headers
 * that mean something for it (nosniff, Referrer-Policy, HSTS): CSP, Permissions-Policy, COOP and
 * X-Frame-Options apply to documents (and CSP to workers, whose scripts keep it: WORKER_PATH), and
 * over HTTP/1.1 they were 440 of the 750 header bytes of each of a meeting page's dozen files.
 */
export function securityHeaders(): MiddlewareHandler<Env> {
  return async function securityHeaders(c, next) {
    const nonce = randomNonce();
    c.set("nonce", nonce);
    c.set("cspConnect", []);
    c.set("cspWasm", false);
    await next();
    const h = c.res.headers;
    if (
      SUBRESOURCE_PATH.test(c.req.path) && !WORKER_PATH.test(c.req.path) &&
      SUBRESOURCE_TYPE.test(h.get("Content-Type") ?? "")
    ) {
      for (const [name, value] of SUBRESOURCE_HEADERS) if (!h.has(name)) h.set(name, value);
      setHsts(c, h);
      return;
    }
    const extra = c.get("cspConnect");
    const wasm = c.get("cspWasm");
    if (extra.length || wasm) {
      h.set("Content-Security-Policy", csp(nonce, ["'self'", ...extra].join(" "), wasm));
    } else if (!h.has("Content-Security-Policy")) h.set("Content-Security-Policy", csp(nonce, CSP_CONNECT_SELF));
    for (const [name, value] of FIXED_HEADERS) if (!h.has(name)) h.set(name, value);
    setHsts(c, h);
  };
}

function setHsts(c: Context<Env>, h: Headers) {
  if (c.get("deps").config.publicUrl.startsWith("https:") && !h.has("Strict-Transport-Security")) {
    h.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
  }
}

/** Where the build's files are served (routes/_islands.ts); /sw.js, a worker, is not among them. */
const SUBRESOURCE_PATH = /^\/(_islands|static)\//;
/**
 * A worker's script among them (an entry named `*_worker.ts`, e.g. the effects' frame loop): a
 * worker runs under the policy its own script was served with, so it keeps the full headers.
 */
const WORKER_PATH = /^\/_islands\/\w+_worker-[\w-]+\.js$/;
/** Types a browser never runs as a document: scripts, stylesheets, raster images, wasm, fonts (not SVG). */
const SUBRESOURCE_TYPE =
  /^(text\/(javascript|css)|application\/(javascript|wasm)|image\/(png|webp|jpeg|gif|avif|x-icon)|font\/)/i;

const SUBRESOURCE_HEADERS: [string, string][] = [
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "same-origin"],
];

const FIXED_HEADERS: [string, string][] = [
  ...SUBRESOURCE_HEADERS,
  ["X-Frame-Options", "DENY"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), geolocation=()"],
];

const CSP_CONNECT_SELF = "'self'";

function csp(nonce: string, connect: string, wasm = false): string {
  // 'wasm-unsafe-eval' allows WebAssembly.compile/instantiate only, not eval or new Function.
  const script = wasm ? "'strict-dynamic' 'wasm-unsafe-eval'" : "'strict-dynamic'";
  return `${CSP_HEAD}; script-src 'nonce-${nonce}' ${script}; connect-src ${connect}; ${CSP_TAIL}`;
}

// The fixed parts of the policy, built once; only the nonce and connect-src vary per response.
const CSP_HEAD = "default-src 'self'";
const CSP_TAIL = [
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/**
 * Loads the session cookie or a Bearer API token. A half-signed-in session (TOTP owed) is kept on
 * `session` but does not set `user`. Disabled accounts are treated as signed out.
 */
export function authenticate(): MiddlewareHandler<Env> {
  return async function authenticate(c, next) {
    const { kv } = c.get("deps");
    c.set("user", null);
    c.set("session", null);
    c.set("authVia", null);
    const auth = c.req.header("authorization");
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      const token = m ? await findApiToken(kv, m[1]) : null;
      if (!token) throw new Unauthorized("The API token is missing, malformed, revoked or unknown");
      const user = await getUser(kv, token.userId);
      if (!user || user.disabled) throw new Unauthorized("The API token's account is disabled or gone");
      if (!token.lastUsedAt || Date.now() - Date.parse(token.lastUsedAt) >= 60_000) await touchApiToken(kv, m![1]);
      c.set("user", user);
      c.set("authVia", "token");
      return await next();
    }
    const cookie = readCookie(c, SESSION_COOKIE);
    if (cookie) {
      const found = await getSession(kv, cookie);
      if (found) {
        const user = await getUser(kv, found.session.userId);
        if (user && !user.disabled) {
          c.set("session", found);
          if (found.session.stage === "full") {
            c.set("user", user);
            c.set("authVia", "cookie");
          }
        }
      }
    }
    await next();
  };
}

/**
 * Request body limits in bytes. Forms (urlencoded, multipart without files) and any other type get
 * `form`; JSON (`application/json`, `+json`) gets `json`. A route that takes uploads declares its
 * own limit with `routeBodyLimit(BODY_LIMITS.upload)` (none does yet).
 */
export const BODY_LIMITS = { form: 64 * 1024, json: 1024 * 1024, upload: 100 * 1024 * 1024 } as const;

const ROUTE_LIMIT = Symbol("routeBodyLimit");
type LimitedHandler = MiddlewareHandler<Env> & { [ROUTE_LIMIT]?: number };

/**
 * Declares a route's body limit (e.g. an upload route's larger one). It does nothing itself: the
 * app's `bodyLimits()` runs first and finds it among the matched handlers, so the limit holds
 * before anything (the CSRF check included) reads the body.
 */
export function routeBodyLimit(maxBytes: number): MiddlewareHandler<Env> {
  const handler: LimitedHandler = async function routeBodyLimit(_c, next) {
    await next();
  };
  handler[ROUTE_LIMIT] = maxBytes;
  return handler;
}

/** The limit for this request: the route's own (the last one declared), else by content type. */
function limitFor(c: Context<Env>, defaults: { form: number; json: number }): number {
  let declared: number | undefined;
  for (const route of matchedRoutes(c)) {
    const limit = (route.handler as LimitedHandler)[ROUTE_LIMIT];
    if (limit !== undefined) declared = limit;
  }
  if (declared !== undefined) return declared;
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json") ? defaults.json : defaults.form;
}

/**
 * Refuses oversized bodies with 413 before anything reads them: a Content-Length over the limit is
 * answered at once, unread; a body without one (chunked) is counted while it streams and refused at
 * the limit, so no more than the limit is ever held. hono/body-limit does the reading and counting;
 * this picks the limit per request. Under /internal/ the answer is problem details, like the
 * signature gate there; elsewhere PayloadTooLarge goes to the app's error handler (page or problem).
 */
export function bodyLimits(defaults: { form: number; json: number } = BODY_LIMITS): MiddlewareHandler<Env> {
  return async function bodyLimits(c, next) {
    const body = c.req.raw.body;
    if (!body) return await next();
    const maxSize = limitFor(c, defaults);
    // hono/body-limit refuses at the limit but leaves the request body open, and Deno then keeps the
    // connection waiting for it (a client could hold it for ever), so a refusal cancels the body: the
    // server then reads the rest away or closes. A body with a Content-Length is refused unread (still
    // ours to cancel); a chunked one hono reads itself, so it gets our own reader in between, which
    // costs a stream only on chunked requests.
    const sized = c.req.raw.headers.has("content-length") && !c.req.raw.headers.has("transfer-encoding");
    let cancel = () => body.cancel();
    if (!sized) {
      const source = body.getReader();
      cancel = () => source.cancel();
      c.req.raw = new Request(c.req.raw, {
        body: new ReadableStream<Uint8Array>({
          async pull(ctl) {
            const { done, value } = await source.read();
            if (done) ctl.close();
            else ctl.enqueue(value);
          },
          cancel: (reason) => source.cancel(reason),
        }),
        // @ts-ignore: duplex is required by Request for a stream body, not yet in Deno's RequestInit type
        duplex: "half",
      });
    }
    const refuse = () => {
      cancel().catch(() => {}); // the client may already be gone; there is nothing left to refuse
      c.header("Connection", "close");
    };
    const limited = bodyLimit({
      maxSize,
      onError: (c) => {
        refuse();
        if (c.req.path.startsWith(INTERNAL_PREFIX)) {
          const refused = problem(413, new PayloadTooLarge(maxSize).message);
          refused.headers.set("Connection", "close");
          return refused;
        }
        throw new PayloadTooLarge(maxSize);
      },
    });
    // next() resolves to the context; only the /internal refusal returns a response of its own.
    const res = await limited(c, next);
    if (res instanceof Response) c.res = res;
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF: a state-changing request passes when its Origin is ours; a foreign Origin is refused; with
 * no Origin, Sec-Fetch-Site: same-origin passes; otherwise the double-submit token (form field
 * `_csrf` or header X-CSRF-Token) must match the cookie. Bearer-token requests carry no ambient
 * authority and are exempt.
 */
export function csrfProtection(): MiddlewareHandler<Env> {
  return async function csrfProtection(c, next) {
    let token = readCookie(c, CSRF_COOKIE);
    let setCookie: string | null = null;
    if (!token || token.length < 20 || token.length > 64) {
      token = randomCsrfToken();
      // Every first visit sets it, so it is written directly (same attributes as writeCookie), and
      // onto the finished response (see securityHeaders for why not before the handler).
      const https = isHttps(c.get("deps").config);
      setCookie = `${https ? "__Host-" : ""}${CSRF_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax${
        https ? "; Secure" : ""
      }`;
    }
    c.set("csrfToken", token);
    try {
      await checkCsrf(c, token, next);
    } catch (err) {
      // Refused here (before any response exists): the error page gets the cookie through Hono.
      if (setCookie) c.header("Set-Cookie", setCookie, { append: true });
      throw err;
    }
    // Not onto the build's files: they are public and cached for a year, and a shared cache must
    // never hand one visitor's token to another.
    if (setCookie && !SUBRESOURCE_PATH.test(c.req.path)) c.res.headers.append("Set-Cookie", setCookie);
  };
}

async function checkCsrf(c: Context<Env>, token: string, next: Next): Promise<void> {
  // The gateway's requests carry no Origin or cookie: under /internal/ the signature replaces the
  // CSRF check, and nothing passes without it (404 when no GATEWAY_SECRET, 401 otherwise).
  if (c.req.path.startsWith(INTERNAL_PREFIX)) {
    if (!c.get("deps").config.gatewaySecret) c.res = problem(404, "not found");
    else if (!(await gatewaySignatureOk(c))) c.res = problem(401, "the request is not signed with the shared secret");
    else await next();
    return;
  }
  if (SAFE_METHODS.has(c.req.method) || c.get("authVia") === "token") return await next();
  if (!(await csrfOk(c, token))) throw new Forbidden("error.csrf");
  await next();
}

async function csrfOk(c: Context<Env>, cookieToken: string): Promise<boolean> {
  const origin = c.req.header("origin");
  if (origin) {
    const allowed = [new URL(c.get("deps").config.publicUrl).origin, new URL(c.req.url).origin];
    return allowed.includes(origin);
  }
  if (c.req.header("sec-fetch-site") === "same-origin") return true;
  let sent = c.req.header("x-csrf-token") ?? "";
  if (!sent) {
    const type = c.req.header("content-type") ?? "";
    if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
      const body = await c.req.parseBody();
      sent = typeof body._csrf === "string" ? body._csrf : "";
    }
  }
  return sent.length > 0 && timingSafeEqual(sent, cookieToken);
}

/** Requires a fully signed-in person (sign-in redirect for pages, 401 for the API). */
export function requireUser(): MiddlewareHandler<Env> {
  return async function requireUser(c: Context<Env>, next: Next) {
    if (!c.get("user")) throw new Unauthorized();
    await next();
  };
}

/** Requires an admin account: anonymous visitors go to sign-in, other people get 403. */
export function requireAdmin(): MiddlewareHandler<Env> {
  return async function requireAdmin(c: Context<Env>, next: Next) {
    const user = c.get("user");
    if (!user) throw new Unauthorized();
    if (user.role !== "admin") throw new Forbidden("error.adminsOnly");
    await next();
  };
}

/**
 * Requires a browser sign-in (session cookie), refusing API tokens: pages that change credentials
 * or mint tokens must not be reachable with a token, which skips the CSRF check.
 */
export function requireBrowserSession(): MiddlewareHandler<Env> {
  return async function requireBrowserSession(c: Context<Env>, next: Next) {
    if (!c.get("user")) throw new Unauthorized();
    if (c.get("authVia") !== "cookie" || !c.get("session")) {
      throw new Forbidden("error.browserOnly");
    }
    await next();
  };
}
