// KV key builders of lib/common's own records (the server secret, rate-limit counters): the only
// place these key shapes are written down.

export const commonKeys = {
  /** The generated HMAC signing secret, created once (atomically) when SECRET_KEY is not set. */
  serverSecret: () => ["meta", "server_secret"] as const,
  /** One failure counter per scope (signin, totp, …) and subject (account or client address). */
  rateLimit: (scope: string, subject: string) => ["rate_limits", scope, subject] as const,
};
