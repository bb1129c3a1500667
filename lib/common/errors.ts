// Domain errors: what went wrong, in the product's words. Domain code throws these and never an HTTP
// type; lib/contracts/problem.ts maps each kind to one answer (status, problem details, headers), the same
// for the web app and the gateway's internal API.

export type FieldErrors = Record<string, string>;

/** The kinds of failure a caller can act on. */
export type ErrorKind =
  | "invalid"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "rate_limited"
  | "unavailable";

export class DomainError extends Error {
  constructor(readonly kind: ErrorKind, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The base of an error kind that carries nothing but a message: the kind, and the message said when
 * the thrower gives none.
 */
function messageOnly(kind: ErrorKind, defaultMessage: string) {
  return class extends DomainError {
    constructor(message = defaultMessage) {
      super(kind, message);
    }
  };
}

/** The request makes no sense as a whole (no single field to blame). */
export class BadRequest extends messageOnly("invalid", "Bad request") {}

/** Nobody is signed in, or the credentials are not (or no longer) good. */
export class Unauthorized extends messageOnly("unauthenticated", "Sign in required") {}

export class Forbidden extends messageOnly("forbidden", "You are not allowed to do that") {}

export class NotFound extends messageOnly("not_found", "Not found") {}

/** The thing is in a state that does not allow this (already ended, cancelled, taken). */
export class Conflict extends messageOnly("conflict", "Conflict") {}

/** A service this needs (the media gateway, a mail server) is not there right now. */
export class Unavailable extends messageOnly("unavailable", "This is not available right now; try again in a moment") {}

/** Input that fails validation, with a message per field a person can act on. */
export class ValidationError extends DomainError {
  constructor(readonly fields: FieldErrors, message = "Some fields need attention") {
    super("invalid", message);
  }
}

/** Too many attempts; the caller may try again after `retryAfterSeconds`. */
export class TooManyRequests extends DomainError {
  constructor(readonly retryAfterSeconds: number, message = "Too many attempts; try again later") {
    super("rate_limited", message);
  }
}
