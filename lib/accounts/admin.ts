// Administrators' operations on accounts. Each change and its audit entry are one atomic commit.

import type { Store } from "../common/store.ts";
import { addAuditEntry, recordAudit } from "./audit.ts";
import type { AuditAction, AuditDetails, AuditEntry } from "./audit.ts";
import { KvConflict } from "../common/kv.ts";
import { deleteUserSessions } from "./sessions.ts";
import { commitUserChange, deleteUser, findOtherActiveAdmin, isActiveAdmin } from "./users.ts";
import type { AccountRole, User } from "./users.ts";

/** The person performing an admin action, as recorded in the audit log. */
export interface Actor {
  id: string;
  email: string;
}

/** The account does not exist (any more). */
export class UserGone extends Error {
  constructor(id: string) {
    super(`No account with id ${id}`);
    this.name = "UserGone";
  }
}

/** The change would leave no enabled administrator. */
export class LastAdmin extends Error {
  constructor(readonly attempted: "demote" | "disable" | "delete") {
    super(
      `This is the last enabled administrator account, so it cannot be ${
        attempted === "demote" ? "made a regular user" : attempted === "disable" ? "disabled" : "deleted"
      }. Make another person an administrator first.`,
    );
    this.name = "LastAdmin";
  }
}

interface Change {
  /** The new user value; null when there is nothing to change (no commit, no audit entry). */
  next: User | null;
  action: AuditAction;
  details?: AuditDetails;
}

/**
 * Reads the account, derives the change, refuses one that would remove the last enabled admin, then
 * commits {user check, other-admin check, new user with its index changes, audit entry} atomically;
 * retried on conflict.
 */
async function changeUser(
  kv: Store,
  actor: Actor,
  targetId: string,
  guard: LastAdmin["attempted"] | null,
  derive: (user: User) => Change,
): Promise<{ user: User; audit: AuditEntry | null }> {
  let audit: AuditEntry | null = null;
  const user = await commitUserChange(kv, targetId, `admin change of ${targetId}`, async (stored, op) => {
    audit = null;
    const change = derive(stored);
    if (!change.next) return null;
    const next: User = { ...change.next, updatedAt: new Date().toISOString() };
    if (guard && isActiveAdmin(stored) && !isActiveAdmin(next)) {
      const other = await findOtherActiveAdmin(kv, targetId);
      if (!other) throw new LastAdmin(guard);
      op.check(other);
    }
    audit = addAuditEntry(op, {
      actorId: actor.id,
      actorEmail: actor.email,
      action: change.action,
      targetId,
      targetEmail: stored.email,
      details: change.details,
    });
    return next;
  });
  if (!user) throw new UserGone(targetId);
  return { user, audit };
}

/** Sets an account's role (audited; no-op when unchanged). Throws LastAdmin, UserGone. */
export function changeRole(kv: Store, actor: Actor, targetId: string, role: AccountRole) {
  return changeUser(kv, actor, targetId, "demote", (u) => ({
    next: u.role === role ? null : { ...u, role },
    action: "user.role_changed",
    details: { from: u.role, to: role },
  }));
}

/**
 * Disables an account (audited) and then ends all of its sessions. The disabled flag alone already
 * locks the person out (authenticate() ignores disabled accounts), so there is no window where an
 * old session still works. Throws LastAdmin, UserGone.
 */
export async function disableUser(kv: Store, actor: Actor, targetId: string) {
  const res = await changeUser(kv, actor, targetId, "disable", (u) => ({
    next: u.disabled ? null : { ...u, disabled: true },
    action: "user.disabled",
  }));
  const sessionsEnded = await deleteUserSessions(kv, targetId);
  return { ...res, sessionsEnded };
}

/** Enables a disabled account (audited; no-op when already enabled). Throws UserGone. */
export function enableUser(kv: Store, actor: Actor, targetId: string) {
  return changeUser(kv, actor, targetId, null, (u) => ({
    next: u.disabled ? { ...u, disabled: false } : null,
    action: "user.enabled",
  }));
}

/**
 * Deletes an account and writes its audit entry in the same commit as the account's removal; when
 * the account is an enabled admin, that commit also checks another enabled admin is unchanged, so
 * concurrent deletions cannot leave no admin. Throws LastAdmin, UserGone.
 */
export async function deleteUserAsAdmin(kv: Store, actor: Actor, targetId: string): Promise<AuditEntry> {
  for (let attempt = 0; attempt < 5; attempt++) {
    let entry: AuditEntry | null = null;
    try {
      const deleted = await deleteUser(kv, targetId, async (op, user) => {
        if (isActiveAdmin(user)) {
          const other = await findOtherActiveAdmin(kv, targetId);
          if (!other) throw new LastAdmin("delete");
          op.check(other);
        }
        entry = addAuditEntry(op, {
          actorId: actor.id,
          actorEmail: actor.email,
          action: "user.deleted",
          targetId,
          targetEmail: user.email,
          details: { name: user.name, role: user.role },
        });
      });
      if (!deleted) throw new UserGone(targetId);
      return entry!;
    } catch (err) {
      if (!(err instanceof KvConflict)) throw err;
    }
  }
  throw new KvConflict(`deleteUserAsAdmin ${targetId}`);
}

/** Records that an admin sent someone a password-reset link (nothing else changes in KV). */
export function recordResetSent(kv: Store, actor: Actor, target: User): Promise<AuditEntry> {
  return recordAudit(kv, {
    actorId: actor.id,
    actorEmail: actor.email,
    action: "user.password_reset_sent",
    targetId: target.id,
    targetEmail: target.email,
  });
}
