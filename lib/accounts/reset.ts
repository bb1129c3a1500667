// Password recovery: a single-use emailed link (30 minutes) that sets a new password and ends every
// session of the account. Used by the /reset pages and by administrators.

import type { Store } from "../common/store.ts";
import { consumeToken, issueToken, peekToken } from "./one_time_tokens.ts";
import { deleteUserSessions } from "./sessions.ts";
import { getUser, updateUser } from "./users.ts";
import type { User } from "./users.ts";
import type { AppDeps } from "../web/types.ts";
import { logger } from "../common/log.ts";
import { clearFailures } from "../common/rate_limit.ts";
import { passwordResetMessage } from "./emails.ts";
import { hashPassword } from "./password.ts";

const log = logger("reset");

export const RESET_TTL_MS = 30 * 60 * 1000;

/** What a reset link carries: the account, and the address the link was sent to. */
export interface ResetData {
  userId: string;
  email: string;
}

/** Emails a reset link to the account's address; disabled accounts get nothing. */
export async function sendPasswordReset(deps: AppDeps, user: User): Promise<void> {
  if (user.disabled) return;
  const data: ResetData = { userId: user.id, email: user.email };
  const token = await issueToken(deps.kv, "reset_password", data, RESET_TTL_MS);
  await deps.mailer.send(passwordResetMessage(user, `${deps.config.publicUrl}/reset/${token}`));
  log.info("reset link sent", { userId: user.id });
}

/**
 * The account a reset link still works for, without using the link up (to show the form). Null
 * when the link is unknown, used or expired, or the account is gone, disabled or has moved address.
 */
export async function peekPasswordReset(kv: Store, token: string): Promise<User | null> {
  const data = await peekToken<ResetData>(kv, "reset_password", token);
  return data ? await usableAccount(kv, data) : null;
}

/**
 * Uses a reset link up (atomically, so it works once), sets the new password, marks the address
 * verified (the link proved the mailbox), ends every session and clears sign-in failures.
 * Returns the account, or null when the link no longer works.
 */
export async function applyPasswordReset(kv: Store, token: string, newPassword: string): Promise<User | null> {
  const data = await consumeToken<ResetData>(kv, "reset_password", token);
  if (!data || !(await usableAccount(kv, data))) return null;
  const passwordHash = await hashPassword(newPassword);
  let stale = false;
  // Re-checked inside the versioned update, in case the address changed while we hashed.
  const user = await updateUser(kv, data.userId, (u) => {
    stale = u.disabled || u.email !== data.email;
    return stale ? {} : { passwordHash, emailVerified: true };
  });
  if (!user || stale) return null;
  await deleteUserSessions(kv, user.id);
  await clearFailures(kv, "signin", `email:${user.email}`);
  log.info("password reset", { userId: user.id });
  return user;
}

async function usableAccount(kv: Store, data: ResetData): Promise<User | null> {
  const user = await getUser(kv, data.userId);
  if (!user || user.disabled || user.email !== data.email) return null;
  return user;
}
