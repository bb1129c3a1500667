// Typed errors that handlers throw; app.onError turns them into problem details or pages.

export type FieldErrors = Record<string, string>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequest extends HttpError {
  constructor(message = "Bad request") {
    super(400, message);
  }
}

export class Unauthorized extends HttpError {
  constructor(message = "Sign in required") {
    super(401, message);
  }
}

export class Forbidden extends HttpError {
  constructor(message = "You are not allowed to do that") {
    super(403, message);
  }
}

export class NotFound extends HttpError {
  constructor(message = "Not found") {
    super(404, message);
  }
}

export class Conflict extends HttpError {
  constructor(message = "Conflict") {
    super(409, message);
  }
}

/** Validation failure with a message per field (422). */
export class ValidationError extends HttpError {
  constructor(readonly fields: FieldErrors, message = "Some fields need attention") {
    super(422, message);
  }
}

export class TooManyRequests extends HttpError {
  constructor(readonly retryAfterSeconds: number, message = "Too many attempts; try again later") {
    super(429, message, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
