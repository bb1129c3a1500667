// Builds the web app: middleware order, routes, and the one error handler.

import { Hono } from "hono";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { HttpError, ValidationError } from "./errors.ts";
import { authenticate, csrfProtection, provideDeps, securityHeaders } from "./middleware.ts";
import { renderPage } from "./render.tsx";
import type { AppDeps, Env } from "./types.ts";
import { logger } from "../log.ts";
import { ErrorPage } from "../../components/ErrorPage.tsx";
import { routes } from "../../routes/mod.ts";
import { staticAssetRoutes } from "../../routes/islands.ts";
import { compressResponses } from "./compression.ts";

const log = logger("web");

export function createApp(deps: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  // Outermost, so it sees every response as sent, error pages included.
  app.use("*", compressResponses());
  app.use("*", provideDeps(deps));
  app.use("*", securityHeaders());
  app.use("*", authenticate());
  app.use("*", csrfProtection());
  // Hashed names immutable, plain names revalidated; both in the build's brotli or gzip.
  app.route("/", staticAssetRoutes);
  for (const r of routes) app.route("/", r);
  app.notFound((c) => handleError(new HttpError(404, "We could not find that page"), c));
  app.onError((err, c) => handleError(err, c));
  return app;
}

function isApi(c: Context<Env>): boolean {
  return new URL(c.req.url).pathname.startsWith("/api/");
}

/** Maps typed errors to RFC 9457 problem details (API) or a page/redirect (HTML). */
function handleError(err: Error, c: Context<Env>): Response {
  let status = 500;
  let message = "Something went wrong on our side. It has been logged.";
  let headers: Record<string, string> = {};
  let fields: Record<string, string> | undefined;
  if (err instanceof HttpError) {
    status = err.status;
    message = err.message;
    headers = err.headers;
    if (err instanceof ValidationError) fields = err.fields;
  } else if (err instanceof HTTPException) {
    status = err.status;
    message = err.message || "Request refused";
  } else {
    log.error("unhandled error", {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      error: String(err?.stack ?? err),
    });
  }
  if (isApi(c)) {
    const problem = {
      type: "about:blank",
      title: titleFor(status),
      status,
      detail: message,
      ...(fields ? { errors: fields } : {}),
    };
    return new Response(JSON.stringify(problem), {
      status,
      headers: { ...headers, "Content-Type": "application/problem+json", "Cache-Control": "no-store" },
    });
  }
  if (status === 401) {
    const url = new URL(c.req.url);
    const next = c.req.method === "GET" ? `?next=${encodeURIComponent(url.pathname + url.search)}` : "";
    return c.redirect(`/signin${next}`, 303);
  }
  const res = renderPage(c, <ErrorPage status={status} message={message} fields={fields} />, {
    title: titleFor(status),
    status,
  });
  for (const [k, v] of Object.entries(headers)) res.headers.set(k, v);
  return res;
}

function titleFor(status: number): string {
  return ({
    400: "Bad request",
    401: "Sign in required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Unprocessable content",
    429: "Too many requests",
  } as Record<number, string>)[status] ?? (status >= 500 ? "Server error" : "Error");
}
