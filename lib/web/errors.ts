// HTTP answers for errors in the web app: the domain-error mapping and the RFC 9457 body come from
// lib/contracts/problem.ts (the gateway's internal API uses the same), used here by the web app's
// onError and the meeting socket's refusal. HttpError is for the few refusals that only exist in
// HTTP (426 Upgrade, 413 PayloadTooLarge); Hono's HTTPException is answered with its own status.

import { HTTPException } from "hono/http-exception";
import { domainAnswer, type HttpAnswer, problemResponse as problemIn, UNEXPECTED } from "../contracts/problem.ts";
import { english } from "../i18n/message.ts";

export { type HttpAnswer, problemDetails, titleFor } from "../contracts/problem.ts";

/**
 * A problem+json response for an answer, in English: rules and refusals carry message keys
 * (lib/i18n/message.ts) that pages translate, and the web app's APIs answer their English text.
 */
export function problemResponse(answer: HttpAnswer, extra: Record<string, unknown> = {}): Response {
  const fields = answer.fields && Object.fromEntries(Object.entries(answer.fields).map(([k, v]) => [k, english(v)]));
  return problemIn({ ...answer, message: english(answer.message), ...(fields ? { fields } : {}) }, extra);
}

/** An HTTP-only refusal, thrown by routes (never by domain code). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = "HttpError";
  }
}

/** A request body over its route's limit (lib/web/middleware.ts bodyLimits): 413, refused before it is read. */
export class PayloadTooLarge extends HttpError {
  constructor(readonly limitBytes: number) {
    super(413, `The request body is too large: this address accepts at most ${formatBytes(limitBytes)}`);
    this.name = "PayloadTooLarge";
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KB`;
  return `${n} bytes`;
}

/** The HTTP answer for any thrown value; unexpected ones get a generic 500 message. */
export function httpAnswer(err: unknown): HttpAnswer {
  const domain = domainAnswer(err);
  if (domain) return domain;
  if (err instanceof HttpError) {
    return { status: err.status, message: err.message, headers: err.headers, expected: true };
  }
  if (err instanceof HTTPException) {
    return { status: err.status, message: err.message || "Request refused", headers: {}, expected: true };
  }
  return { ...UNEXPECTED, headers: {} };
}
