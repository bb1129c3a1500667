// Typed KV key builders of accounts: the only place these key shapes are written down. Routes never
// build keys. (Email, reminders and lib/common have their own keys files.)

export const keys = {
  users: () => ["users"] as const,
  user: (id: string) => ["users", id] as const,
  userByEmail: (email: string) => ["users_by_email", email] as const,
  usersByEmail: () => ["users_by_email"] as const,
  /** Search index: one key per distinct word of an account's name (folded, lower-cased); value is the id. */
  userByNameWord: (word: string, userId: string) => ["users_by_name_word", word, userId] as const,
  usersByNameWord: () => ["users_by_name_word"] as const,
  /** Enabled administrators (value is the id), so "is another admin left?" never scans accounts. */
  activeAdmin: (userId: string) => ["users_active_admins", userId] as const,
  activeAdmins: () => ["users_active_admins"] as const,
  /** Deno.KvU64 number of accounts, summed in the same commit as each create and delete. */
  userCount: () => ["meta", "user_count"] as const,
  /** Present once every account has its name-word, active-admin and count entries (the backfill ran). */
  userIndexesReady: () => ["meta", "user_indexes_v1"] as const,
  /** Present once the first account exists; its versionstamp check makes "first is admin" race-free. */
  firstUserMarker: () => ["meta", "first_user"] as const,

  session: (tokenHash: string) => ["sessions", tokenHash] as const,
  sessionsByUser: (userId: string) => ["sessions_by_user", userId] as const,
  sessionByUser: (userId: string, tokenHash: string) => ["sessions_by_user", userId, tokenHash] as const,

  /** One-time tokens (email verification, password reset, email change), stored by hash. */
  oneTimeToken: (purpose: string, tokenHash: string) => ["one_time_tokens", purpose, tokenHash] as const,

  totpLastStep: (userId: string) => ["totp_last_step", userId] as const,
  /** The key id every TOTP secret was sealed with at the last complete re-encryption pass. */
  totpSealedWith: () => ["meta", "totp_sealed_with"] as const,
  recoveryCode: (userId: string, codeHash: string) => ["recovery_codes", userId, codeHash] as const,
  recoveryCodes: (userId: string) => ["recovery_codes", userId] as const,

  apiToken: (tokenHash: string) => ["api_tokens", tokenHash] as const,
  apiTokensByUser: (userId: string) => ["api_tokens_by_user", userId] as const,
  apiTokenByUser: (userId: string, tokenId: string) => ["api_tokens_by_user", userId, tokenId] as const,

  auditEntry: (id: string) => ["audit", id] as const,
  audit: () => ["audit"] as const,
};
