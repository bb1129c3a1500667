// Password recovery: a single-use emailed link (30 minutes) that sets a new password and ends every
// session of the account. Used by the /reset pages, the sign-up page (an address already in use gets
// a link instead of an account) and by administrators. Every outstanding link dies when the
// password changes, by any path: a link carries a fingerprint of the password it was issued against.

import type { Store } from "../common/store.ts";
import { consumeToken, issueNoToken, issueToken, peekToken } from "./one_time_tokens.ts";
import { deleteUserSessions } from "./sessions.ts";
import { commitUserChange, getUser, getUserByEmail } from "./users.ts";
import type { User } from "./users.ts";
import type { AppDeps } from "../web/types.ts";
import { logger } from "../common/log.ts";
import { clearFailures } from "../common/rate_limit.ts";
import { hashToken } from "../common/ids.ts";
import { passwordResetMessage, queueAccountMail, signupAttemptMessage } from "./emails.ts";
import type { MailMessage } from "../email/mailer.ts";
import { hashPassword } from "./password.ts";

const log = logger("reset");

export const RESET_TTL_MS = 30 * 60 * 1000;

/** What a reset link carries: the account, the address the link was sent to, and the password's fingerprint. */
export interface ResetData {
  userId: string;
  email: string;
  /**
   * A hash of the account's password hash when the link was issued (hashes are salted, so every
   * password change makes a new one): the link works only while the password is unchanged. Links
   * issued before this field existed carry none and no longer work.
   */
  passwordTag?: string;
}

/** The fingerprint of a password hash that reset links carry (the hash itself never leaves the account). */
async function passwordTag(passwordHash: string): Promise<string> {
  return await hashToken(`reset-link:${passwordHash}`);
}

async function resetData(user: User): Promise<ResetData> {
  return { userId: user.id, email: user.email, passwordTag: await passwordTag(user.passwordHash) };
}

/** Emails a reset link to the account's address now (administrators' "send reset link"); disabled accounts get nothing. */
export async function sendPasswordReset(deps: AppDeps, user: User): Promise<void> {
  if (user.disabled) return;
  const token = await issueToken(deps.kv, "reset_password", await resetData(user), RESET_TTL_MS);
  await deps.mailer.send(passwordResetMessage(user, `${deps.config.publicUrl}/reset/${token}`));
  log.info("reset link sent", { userId: user.id });
}

/**
 * Issues a reset link for `user` and queues `message(link)` in the same commit (the queue listener
 * sends it), so the page answers without waiting for mail delivery.
 */
async function queueResetLink(
  kv: Store,
  publicUrl: string,
  user: User,
  message: (link: string) => MailMessage,
): Promise<void> {
  await issueToken(kv, "reset_password", await resetData(user), RESET_TTL_MS, (op, token) => {
    queueAccountMail(op, message(`${publicUrl}/reset/${token}`));
  });
}

/**
 * The public "forgot my password" request: queues a link when `email` is an enabled account's,
 * else does nothing visible. The caller answers the same either way, and the work differs only by
 * one commit (the mail is never sent inline), so neither the page nor its timing tells whether an
 * account exists.
 */
export async function requestPasswordReset(kv: Store, publicUrl: string, email: string): Promise<void> {
  const user = await getUserByEmail(kv, email);
  if (!user || user.disabled) {
    // The reads, hashing and commit a link costs, without the link, so the two paths take about as long.
    if (!user) await getUser(kv, "");
    await passwordTag(email);
    await issueNoToken(kv, "reset_password");
    return;
  }
  await queueResetLink(kv, publicUrl, user, (link) => passwordResetMessage(user, link));
  log.info("reset link queued", { userId: user.id });
}

/**
 * Sign-up with an address that already has an account: the owner gets a notice with a reset link
 * (queued, like a new account's confirmation), and the visitor sees the same page as for a new address.
 */
export async function queueSignupAttemptNotice(kv: Store, publicUrl: string, user: User): Promise<void> {
  if (user.disabled) return;
  await queueResetLink(kv, publicUrl, user, (link) => signupAttemptMessage(user, `${publicUrl}/signin`, link));
  log.info("sign-up with an address in use: owner notified", { userId: user.id });
}

/**
 * The account a reset link still works for, without using the link up (to show the form). Null
 * when the link is unknown, used or expired, the password changed since, or the account is gone,
 * disabled or has moved address.
 */
export async function peekPasswordReset(kv: Store, token: string): Promise<User | null> {
  const data = await peekToken<ResetData>(kv, "reset_password", token);
  return data ? await usableAccount(kv, data) : null;
}

/**
 * Uses a reset link up (atomically, so it works once), sets the new password, marks the address
 * verified (the link proved the mailbox), ends every session and clears sign-in failures. The new
 * password hash changes the fingerprint, so every other outstanding link stops working in the same
 * commit. Returns the account, or null when the link no longer works.
 */
export async function applyPasswordReset(kv: Store, token: string, newPassword: string): Promise<User | null> {
  const data = await consumeToken<ResetData>(kv, "reset_password", token);
  if (!data || !(await usableAccount(kv, data))) return null;
  const passwordHash = await hashPassword(newPassword);
  let stale = false;
  // Re-checked inside the versioned update, in case the address or password changed while we hashed.
  const user = await commitUserChange(kv, data.userId, `applyPasswordReset ${data.userId}`, async (u) => {
    stale = !(await linkFits(u, data));
    return stale ? null : { ...u, passwordHash, emailVerified: true, updatedAt: new Date().toISOString() };
  });
  if (!user || stale) return null;
  await deleteUserSessions(kv, user.id);
  await clearFailures(kv, "signin", `email:${user.email}`);
  log.info("password reset", { userId: user.id });
  return user;
}

async function linkFits(user: User, data: ResetData): Promise<boolean> {
  return !user.disabled && user.email === data.email && data.passwordTag === await passwordTag(user.passwordHash);
}

async function usableAccount(kv: Store, data: ResetData): Promise<User | null> {
  const user = await getUser(kv, data.userId);
  return user && await linkFits(user, data) ? user : null;
}
