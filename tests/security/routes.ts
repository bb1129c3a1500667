// Runs the route matrix: the inventory of registered routes against the table, then every row for
// every actor, then a CSRF probe for every state-changing row. Mismatches are collected and
// reported together, each naming the route, the actor, what was expected and what came back.

import type { Hono } from "hono";
import type { Env } from "../../lib/web/types.ts";
import type { TestClient } from "../support/app.ts";
import { ACTORS } from "./world.ts";
import type { Actor, World } from "./world.ts";
import { defaultCall, ROUTE_MATRIX } from "./route_matrix.ts";
import type { Answer, Call, Row } from "./route_matrix.ts";

export interface Registered {
  method: string;
  path: string;
}

/** `/account/totp/*` also covers `/account/totp`, as Hono matches it. */
function patternRegex(path: string): RegExp {
  const body = path.split("/").map((part) =>
    part === "*" ? "\u0000" : part.startsWith(":") ? "[^/]+" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")
  ).join("/");
  return new RegExp(`^${body.replace("/\u0000", "(/.*)?").replace("\u0000", ".*")}$`);
}

/**
 * The app's routes split in two: handlers (every method but ALL) and middleware (`app.use`, which
 * Hono registers as method ALL). A middleware entry is ignored only when it guards at least one
 * handler; an ALL entry that guards nothing is reported as a route of its own.
 */
export function inventory(app: Hono<Env>): { handlers: Registered[]; middleware: Registered[]; unguarding: string[] } {
  const seen = new Set<string>();
  const handlers: Registered[] = [];
  const middleware: Registered[] = [];
  for (const r of app.routes) {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    (r.method === "ALL" ? middleware : handlers).push({ method: r.method, path: r.path });
  }
  const unguarding = middleware.filter((mw) => {
    const re = patternRegex(mw.path);
    return !handlers.some((h) => re.test(h.path));
  }).map((mw) => `${mw.method} ${mw.path}`);
  return { handlers, middleware, unguarding };
}

/** Which answer class a response belongs to (or its status when it fits none). */
export function classify(res: Response): Answer | string {
  const s = res.status;
  if (s >= 300 && s < 400) return /^\/signin(\?|$)/.test(res.headers.get("location") ?? "") ? "signin" : "ok";
  if (s >= 200 && s < 300) return "ok";
  const named: Record<number, Answer> = {
    401: "signin",
    403: "forbidden",
    404: "notfound",
    410: "gone",
    422: "invalid",
    426: "upgrade",
    503: "unavailable",
  };
  return named[s] ?? String(s);
}

const SAFE = new Set(["GET", "HEAD"]);

/** Sends `call` the way a browser (same origin) or an API client would. */
export function send(client: TestClient, method: string, call: Call, extra: Record<string, string> = {}) {
  const headers = { ...call.headers, ...extra };
  if (call.json !== undefined) return client.sendJson(method, call.path, call.json, headers);
  if (call.form && method === "POST") return client.postForm(call.path, call.form, headers);
  if (SAFE.has(method)) return client.get(call.path, headers);
  const h = new Headers(headers);
  if (!h.has("origin")) h.set("origin", client.origin);
  return client.request(call.path, { method, headers: h });
}

/** Sends `call` with the actor's cookies but no CSRF proof: a foreign Origin, or no Origin and no token. */
function sendForged(client: TestClient, method: string, call: Call, origin: string | null): Promise<Response> {
  const headers = new Headers(call.headers);
  if (origin) headers.set("origin", origin);
  let body: string | undefined;
  if (call.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(call.json);
  } else if (call.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(call.form).toString();
  }
  return client.request(call.path, { method, headers, body });
}

export interface MatrixResult {
  rows: number;
  checks: number;
  csrfChecks: number;
  mismatches: string[];
}

async function keep(w: World, where: string, res: Response): Promise<string> {
  const body = await res.text();
  w.bodies.push({ where, body, headers: [...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n") });
  return body;
}

function describe(res: Response, body: string): string {
  const loc = res.headers.get("location");
  return `${res.status}${loc ? ` → ${loc}` : ""} ${body.replace(/\s+/g, " ").slice(0, 160)}`;
}

/** Every row for every actor, sequentially (rows share one world and build their own resources). */
export async function runRouteMatrix(w: World, rows: Row[] = ROUTE_MATRIX): Promise<MatrixResult> {
  const result: MatrixResult = { rows: rows.length, checks: 0, csrfChecks: 0, mismatches: [] };
  for (const row of rows) {
    const name = `${row.method} ${row.route}`;
    for (const actor of ACTORS) {
      const client = row.freshActors ? await w.freshActor(actor) : w.clients[actor];
      const call = row.call ? await row.call(w, actor) : defaultCall(w, row.route);
      const res = await send(client, row.method, call);
      const body = await keep(w, `${name} as ${actor}`, res);
      const loc = res.headers.get("location") ?? "";
      const intended = row.location !== undefined && res.status >= 300 && res.status < 400 && row.location.test(loc);
      const got = intended ? "ok" : classify(res);
      const want = row.expect[actor];
      result.checks++;
      if (got !== "ok" && row.intact) {
        result.checks++;
        const changed = await row.intact(w, call);
        if (changed) result.mismatches.push(`${name} as ${actor} was refused (${got}) but ${changed}`);
      }
      if (got !== want) {
        result.mismatches.push(`${name} as ${actor}: expected ${want}, got ${got} (${describe(res, body)})`);
      } else if (want === "ok" && row.location && res.status >= 300 && res.status < 400) {
        if (!row.location.test(loc)) {
          result.mismatches.push(`${name} as ${actor}: redirected to ${loc}, not ${row.location}`);
        }
      }
    }
    if (!SAFE.has(row.method) && !row.route.startsWith("/internal/")) {
      const mismatch = await csrfProbe(w, row);
      result.csrfChecks += 2;
      result.mismatches.push(...mismatch);
    }
  }
  return result;
}

const COOKIE_ACTORS: Actor[] = ["owner", "other", "admin", "guest", "anon"];

/** A state-changing request with the allowed actor's cookies from another site is refused with 403. */
async function csrfProbe(w: World, row: Row): Promise<string[]> {
  const actor = row.csrfActor ?? COOKIE_ACTORS.find((a) => row.expect[a] === "ok") ?? "owner";
  const out: string[] = [];
  for (const origin of ["https://evil.example", null]) {
    const client = row.freshActors ? await w.freshActor(actor) : w.clients[actor];
    const call = row.call ? await row.call(w, actor) : defaultCall(w, row.route);
    const res = await sendForged(client, row.method, call, origin);
    const body = await keep(w, `CSRF ${row.method} ${row.route} as ${actor}`, res);
    const changed = row.intact ? await row.intact(w, call) : null;
    if (changed) out.push(`${row.method} ${row.route} as ${actor}: the forged request was refused but ${changed}`);
    if (res.status !== 403 || !/cross-site|csrf/i.test(body)) {
      out.push(
        `${row.method} ${row.route} as ${actor} ${origin ? `from ${origin}` : "without Origin or token"}: ` +
          `expected csrf (403), got ${describe(res, body)}`,
      );
    }
  }
  return out;
}

/** Routes without a row, and rows without a route, as messages that say what to do. */
export function missingRows(handlers: Registered[], rows: Row[] = ROUTE_MATRIX): string[] {
  const have = new Set(rows.map((r) => `${r.method} ${r.route}`));
  const registered = new Set(handlers.map((h) => `${h.method} ${h.path}`));
  const missing = handlers.filter((h) => !have.has(`${h.method} ${h.path}`)).map((h) =>
    `${h.method} ${h.path} has no row in tests/security/route_matrix.ts: add { method: "${h.method}", route: ` +
    `"${h.path}", expect: <policy>(…), call: … } saying what every actor gets`
  );
  const stale = rows.filter((r) => !registered.has(`${r.method} ${r.route}`)).map((r) =>
    `the row ${r.method} ${r.route} names no registered route: remove it or fix its method/path`
  );
  const dupes = rows.map((r) => `${r.method} ${r.route}`).filter((k, i, all) => all.indexOf(k) !== i)
    .map((k) => `${k} has more than one row`);
  return [...missing, ...stale, ...dupes];
}
