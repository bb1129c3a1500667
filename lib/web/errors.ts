// HTTP answers for errors: one mapping from domain errors (lib/common/errors.ts) to a status, headers
// and RFC 9457 problem details, used by the web app's onError, the meeting socket's refusal and the
// gateway's internal API. HttpError is for the few refusals that only exist in HTTP (426 Upgrade).

import { HTTPException } from "hono/http-exception";
import { DomainError, type ErrorKind, type FieldErrors, TooManyRequests, ValidationError } from "../common/errors.ts";

/** An HTTP-only refusal, thrown by routes (never by domain code). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
  }
}

const STATUS: Record<ErrorKind, number> = {
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};

export interface HttpAnswer {
  status: number;
  message: string;
  headers: Record<string, string>;
  fields?: FieldErrors;
  /** False for errors nobody expected: log them, answer generically. */
  expected: boolean;
}

/** The HTTP answer for any thrown value; unexpected ones get a generic 500 message. */
export function httpAnswer(err: unknown): HttpAnswer {
  if (err instanceof DomainError) {
    // A request that fails as a whole (BadRequest) is a 400; field errors are 422.
    const status = err.kind === "invalid" && !(err instanceof ValidationError) ? 400 : STATUS[err.kind];
    const headers: Record<string, string> = err instanceof TooManyRequests
      ? { "Retry-After": String(Math.max(1, Math.ceil(err.retryAfterSeconds))) }
      : {};
    return {
      status,
      message: err.message,
      headers,
      ...(err instanceof ValidationError ? { fields: err.fields } : {}),
      expected: true,
    };
  }
  if (err instanceof HttpError) {
    return { status: err.status, message: err.message, headers: err.headers, expected: true };
  }
  if (err instanceof HTTPException) {
    return { status: err.status, message: err.message || "Request refused", headers: {}, expected: true };
  }
  return {
    status: 500,
    message: "Something went wrong on our side. It has been logged.",
    headers: {},
    expected: false,
  };
}

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Sign in required",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  413: "Too large",
  422: "Unprocessable content",
  426: "Upgrade required",
  429: "Too many requests",
  503: "Service unavailable",
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? "Server error" : "Error");
}

/** RFC 9457 problem details for an answer: the JSON body every API error has. */
export function problemDetails(answer: HttpAnswer): Record<string, unknown> {
  return {
    type: "about:blank",
    title: titleFor(answer.status),
    status: answer.status,
    detail: answer.message,
    ...(answer.fields ? { errors: answer.fields } : {}),
  };
}

/** A problem+json response for an answer. */
export function problemResponse(answer: HttpAnswer): Response {
  return new Response(JSON.stringify(problemDetails(answer)), {
    status: answer.status,
    headers: { ...answer.headers, "Content-Type": "application/problem+json", "Cache-Control": "no-store" },
  });
}
