// The one error body of every HTTP API here, RFC 9457 problem details: the web app's /api and
// /internal/sip answers (lib/web/errors.ts, routes/internal/sip.ts) and the gateway's internal API
// (gateway/http_api.ts) all send it, and both internal clients (lib/meetings/gateway_client.ts,
// gateway/web_client.ts) read it with readProblem. The mapping from a domain error's kind
// (lib/common/errors.ts) to a status lives here, not in lib/web, so the gateway (which may import
// lib/common and lib/contracts only) answers the same statuses for the same failures.

import { z } from "zod";
import { DomainError, type ErrorKind, type FieldErrors, TooManyRequests, ValidationError } from "../common/errors.ts";

/** The HTTP status for each kind of domain failure. */
export const KIND_STATUS: Readonly<Record<ErrorKind, number>> = {
  invalid: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
};

/** What an error becomes on the wire, before it is a body. */
export interface HttpAnswer {
  status: number;
  message: string;
  headers: Record<string, string>;
  fields?: FieldErrors;
  /** False for errors nobody expected: log them, answer generically. */
  expected: boolean;
}

/** The generic answer for anything unexpected; the real error is logged, never sent. */
export const UNEXPECTED: Readonly<HttpAnswer> = {
  status: 500,
  message: "Something went wrong on our side. It has been logged.",
  headers: {},
  expected: false,
};

/** The answer for a domain error, or null when `err` is not one. */
export function domainAnswer(err: unknown): HttpAnswer | null {
  if (!(err instanceof DomainError)) return null;
  // A request that fails as a whole (BadRequest) is a 400; field errors are 422.
  const status = err.kind === "invalid" && !(err instanceof ValidationError) ? 400 : KIND_STATUS[err.kind];
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

const TITLES: Record<number, string> = {
  400: "Bad request",
  401: "Sign in required",
  403: "Forbidden",
  404: "Not found",
  405: "Method not allowed",
  409: "Conflict",
  410: "Gone",
  413: "Too large",
  422: "Unprocessable content",
  426: "Upgrade required",
  429: "Too many requests",
  // Not HTTP: the internal SIP resolve answers a locked meeting with the SIP status it leads to.
  486: "Busy here",
  502: "Bad gateway",
  503: "Service unavailable",
};

export function titleFor(status: number): string {
  return TITLES[status] ?? (status >= 500 ? "Server error" : "Error");
}

/** RFC 9457 problem details. `errors` has one message per invalid field; `code` is a machine-readable reason. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.record(z.string(), z.string()).optional(),
  /** Extension member: a stable reason a client branches on (the SIP resolve refusals use it). */
  code: z.string().optional(),
}).loose();
export type ProblemDetails = z.infer<typeof problemSchema>;

/** Problem details for an answer; `extra` adds extension members (RFC 9457 §3.2), never over the standard ones. */
export function problemDetails(answer: HttpAnswer, extra: Record<string, unknown> = {}): ProblemDetails {
  return {
    ...extra,
    type: "about:blank",
    title: titleFor(answer.status),
    status: answer.status,
    detail: answer.message,
    ...(answer.fields ? { errors: answer.fields } : {}),
  };
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** A problem+json response for an answer. */
export function problemResponse(answer: HttpAnswer, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify(problemDetails(answer, extra)), {
    status: answer.status,
    headers: { ...answer.headers, "Content-Type": PROBLEM_CONTENT_TYPE, "Cache-Control": "no-store" },
  });
}

/** A problem response with just a status and a message (the internal APIs' own refusals: 401, 404, 413). */
export function problem(status: number, message: string, extra: Record<string, unknown> = {}): Response {
  return problemResponse({ status, message, headers: {}, expected: true }, extra);
}

/** Field messages from a failed zod parse: the first issue per path, "body" for the body as a whole. */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path.map(String).join(".") || "body";
    fields[path] ??= issue.message;
  }
  return fields;
}

/**
 * A client's reading of an error answer: the problem body when the peer sent one, else one made
 * from the status alone (a proxy's HTML page, an empty body), so callers always get detail/status.
 */
export function readProblem(status: number, json: unknown): ProblemDetails {
  const parsed = problemSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  return { type: "about:blank", title: titleFor(status), status, detail: `answered ${status} without problem details` };
}

/**
 * The other side of an internal API (the web app for the gateway, the gateway for the web app)
 * could not be reached: down, refusing connections, or too slow. Each client names its own subclass.
 */
export class PeerUnavailable extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The other side answered with a status the client did not expect (`problem` is its problem
 * details, or ones made from the status when the body was not), or a body outside the contract.
 */
export class PeerError extends Error {
  constructor(peer: string, readonly status: number, readonly problem: ProblemDetails) {
    super(`${peer} answered ${status}: ${problem.detail}`);
    this.name = new.target.name;
  }
}
