// Builds the web app: middleware order, routes, and the one error handler.

import { Hono } from "hono";
import type { Context } from "hono";
import { NotFound } from "../common/errors.ts";
import { httpAnswer, problemResponse } from "./errors.ts";
import { authenticate, bodyLimits, csrfProtection, provideDeps, securityHeaders } from "./middleware.ts";
import { renderPage } from "./render.tsx";
import type { AppDeps, Env } from "./types.ts";
import { logger } from "../common/log.ts";
import { errorHeading, ErrorPage } from "../../components/ErrorPage.tsx";
import { requestLocale } from "./i18n.ts";
import { translator } from "../i18n/translate.ts";
import { compressResponses } from "./compression.ts";

const log = logger("web");

/** The web app: the middleware pipeline, then `routes` in order (main.ts and tests pass routes/mod.ts). */
export function createApp(deps: AppDeps, routes: readonly Hono<Env>[]): Hono<Env> {
  const app = new Hono<Env>();
  // Outermost, so it sees every response as sent, error pages included.
  app.use("*", compressResponses());
  app.use("*", provideDeps(deps));
  app.use("*", securityHeaders());
  // Before anything reads a body (the CSRF check parses forms) and before the session lookup, so an
  // oversized body costs neither memory nor a KV read.
  app.use("*", bodyLimits());
  app.use("*", authenticate());
  app.use("*", csrfProtection());
  for (const r of routes) app.route("/", r);
  app.notFound((c) => handleError(new NotFound("We could not find that page"), c));
  app.onError((err, c) => handleError(err, c));
  return app;
}

function isApi(c: Context<Env>): boolean {
  return new URL(c.req.url).pathname.startsWith("/api/");
}

/** Maps typed errors to RFC 9457 problem details (API) or a page/redirect (HTML). */
function handleError(err: Error, c: Context<Env>): Response {
  const answer = httpAnswer(err);
  if (!answer.expected) {
    log.error("unhandled error", {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      error: String(err?.stack ?? err),
    });
  }
  // In English (problemResponse): rules and domain errors carry message keys (lib/i18n/message.ts).
  if (isApi(c)) return problemResponse(answer);
  const { status, message, fields, headers } = answer;
  if (status === 401) {
    const url = new URL(c.req.url);
    const next = c.req.method === "GET" ? `?next=${encodeURIComponent(url.pathname + url.search)}` : "";
    return c.redirect(`/signin${next}`, 303);
  }
  const res = renderPage(c, <ErrorPage status={status} message={message} fields={fields} />, {
    title: errorHeading(translator(requestLocale(c)), status),
    status,
  });
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}
