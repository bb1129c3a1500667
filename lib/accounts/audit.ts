// The audit log: who did what to whom. Entries are written inside the atomic commit of the change.
// The accounts capability's store module for audit entries.

import type { Store, StoreAtomic, StoreSelector } from "../common/store.ts";
import { keys } from "./keys.ts";
import { commitOrThrow } from "../common/kv.ts";
import { newId } from "../common/ids.ts";

export type AuditAction =
  | "user.role_changed"
  | "user.disabled"
  | "user.enabled"
  | "user.password_reset_sent"
  | "user.deleted";

export type AuditDetails = Record<string, string | number | boolean | null>;

export interface AuditEntry {
  /** ULID; keys sort by it, so a reverse listing is newest first. */
  id: string;
  at: string;
  actorId: string;
  actorEmail: string;
  action: AuditAction | string;
  targetId: string;
  targetEmail: string;
  details: AuditDetails;
}

export type NewAuditEntry = Omit<AuditEntry, "id" | "at" | "details"> & { details?: AuditDetails };

/**
 * Adds the write of one audit entry to `op` and returns the entry. Nothing is stored until the
 * caller commits, so the change and its audit entry land together or not at all.
 */
export function addAuditEntry(op: StoreAtomic, input: NewAuditEntry): AuditEntry {
  const entry: AuditEntry = {
    // Monotonic (lib/common/ids.ts), so entries written in the same millisecond keep their order.
    id: newId(),
    at: new Date().toISOString(),
    actorId: input.actorId,
    actorEmail: input.actorEmail,
    action: input.action,
    targetId: input.targetId,
    targetEmail: input.targetEmail,
    details: input.details ?? {},
  };
  op.check({ key: keys.auditEntry(entry.id), versionstamp: null }).set(keys.auditEntry(entry.id), entry);
  return entry;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next (older) page; null on the oldest page. */
  older: string | null;
  /** Pass as `after` for the previous (newer) page; null on the newest page. */
  newer: string | null;
}

/**
 * One page of the audit log, newest first. `before` gives the entries older than that id, `after`
 * the entries newer than it (still shown newest first); neither gives the newest page.
 */
export async function listAuditEntries(
  kv: Store,
  opts: { before?: string; after?: string; limit?: number } = {},
): Promise<AuditPage> {
  const limit = Math.max(1, Math.min(opts.limit ?? 50, 500));
  const prefix = keys.audit();
  let entries: AuditEntry[] = [];
  let more = false;
  if (opts.after) {
    // Walk forward from just after `after`, then flip to newest first.
    const it = kv.list<AuditEntry>({ prefix, start: [...keys.auditEntry(opts.after), ""] }, { limit: limit + 1 });
    for await (const e of it) entries.push(e.value);
    more = entries.length > limit;
    entries = entries.slice(0, limit).reverse();
    return {
      entries,
      older: entries.length ? entries.at(-1)!.id : null,
      newer: more && entries.length ? entries[0].id : null,
    };
  }
  const selector: StoreSelector = opts.before ? { prefix, end: keys.auditEntry(opts.before) } : { prefix };
  for await (const e of kv.list<AuditEntry>(selector, { reverse: true, limit: limit + 1 })) entries.push(e.value);
  more = entries.length > limit;
  entries = entries.slice(0, limit);
  return {
    entries,
    older: more ? entries.at(-1)!.id : null,
    newer: opts.before && entries.length ? entries[0].id : null,
  };
}

/** Writes one audit entry on its own (for events that change nothing else in KV, like a sent reset link). */
export async function recordAudit(kv: Store, input: NewAuditEntry): Promise<AuditEntry> {
  const op = kv.atomic();
  const entry = addAuditEntry(op, input);
  // Fails only on a ULID collision (practically impossible) or a busy database file.
  await commitOrThrow(op, "audit entry");
  return entry;
}
