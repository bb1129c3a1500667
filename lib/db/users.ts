// Accounts: creation (first account or ADMIN_EMAIL becomes admin), lookup, updates, deletion.

import { keys } from "./keys.ts";
import { commitOrThrow, KvConflict } from "./kv.ts";
import { newId } from "../ids.ts";

export type AccountRole = "admin" | "user";

export interface User {
  id: string;
  name: string;
  /** Lower-cased. */
  email: string;
  emailVerified: boolean;
  passwordHash: string;
  role: AccountRole;
  disabled: boolean;
  /** IANA time zone, e.g. Europe/Berlin. */
  timeZone: string;
  /** Base32 TOTP secret once two-factor is on; pending enrollment secrets live in the session. */
  totpSecret: string | null;
  createdAt: string;
  updatedAt: string;
}

export class EmailTaken extends Error {
  constructor() {
    super("An account with this email already exists");
    this.name = "EmailTaken";
  }
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export interface NewUser {
  name: string;
  email: string;
  passwordHash: string;
  timeZone?: string;
  adminEmail?: string;
}

/**
 * Creates an account atomically with its email index. The very first account, or one whose email
 * equals ADMIN_EMAIL, is an admin. Throws EmailTaken when the email is in use.
 */
export async function createUser(kv: Deno.Kv, input: NewUser): Promise<User> {
  const email = normalizeEmail(input.email);
  const now = new Date().toISOString();
  for (let attempt = 0; attempt < 5; attempt++) {
    const first = await kv.get(keys.firstUserMarker());
    const isFirst = first.versionstamp === null;
    const user: User = {
      id: newId(),
      name: input.name.trim(),
      email,
      emailVerified: false,
      passwordHash: input.passwordHash,
      role: isFirst || (input.adminEmail && input.adminEmail === email) ? "admin" : "user",
      disabled: false,
      timeZone: input.timeZone ?? "UTC",
      totpSecret: null,
      createdAt: now,
      updatedAt: now,
    };
    const res = await kv.atomic()
      .check({ key: keys.userByEmail(email), versionstamp: null })
      .check(first)
      .set(keys.user(user.id), user)
      .set(keys.userByEmail(email), user.id)
      .set(keys.firstUserMarker(), isFirst ? user.id : first.value)
      .commit();
    if (res.ok) return user;
    if ((await kv.get(keys.userByEmail(email))).versionstamp !== null) throw new EmailTaken();
  }
  throw new KvConflict("createUser kept racing");
}

export async function getUser(kv: Deno.Kv, id: string): Promise<User | null> {
  return (await kv.get<User>(keys.user(id))).value;
}

export async function getUserByEmail(kv: Deno.Kv, email: string): Promise<User | null> {
  const idEntry = await kv.get<string>(keys.userByEmail(normalizeEmail(email)));
  if (!idEntry.value) return null;
  return await getUser(kv, idEntry.value);
}

/**
 * Applies `change` to the stored user and writes it back atomically (versionstamp-checked,
 * retried on conflict). An email change moves the email index in the same commit and throws
 * EmailTaken when the new address is in use. Returns the updated user, or null if it is gone.
 */
export async function updateUser(
  kv: Deno.Kv,
  id: string,
  change: (user: User) => Partial<User>,
): Promise<User | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<User>(keys.user(id));
    if (!entry.value) return null;
    const patch = change(entry.value);
    const next: User = { ...entry.value, ...patch, updatedAt: new Date().toISOString() };
    next.email = normalizeEmail(next.email);
    const op = kv.atomic().check(entry).set(keys.user(id), next);
    if (next.email !== entry.value.email) {
      op.check({ key: keys.userByEmail(next.email), versionstamp: null })
        .delete(keys.userByEmail(entry.value.email))
        .set(keys.userByEmail(next.email), id);
    }
    const res = await op.commit();
    if (res.ok) return next;
    if (next.email !== entry.value.email) {
      const owner = await kv.get<string>(keys.userByEmail(next.email));
      if (owner.value && owner.value !== id) throw new EmailTaken();
    }
  }
  throw new KvConflict(`updateUser ${id}`);
}

/** Lists users ordered by creation (ULID order), optionally filtered by a name/email substring. */
export async function listUsers(
  kv: Deno.Kv,
  opts: { query?: string; offset?: number; limit?: number } = {},
): Promise<{ users: User[]; total: number }> {
  const q = (opts.query ?? "").trim().toLowerCase();
  const all: User[] = [];
  for await (const e of kv.list<User>({ prefix: keys.users() })) {
    const u = e.value;
    if (!q || u.email.includes(q) || u.name.toLowerCase().includes(q)) all.push(u);
  }
  const offset = opts.offset ?? 0;
  const limit = opts.limit ?? 25;
  return { users: all.slice(offset, offset + limit), total: all.length };
}

/**
 * Deletes an account with its email index, sessions, tokens and two-factor data. The account and
 * its index go in the first commit, together with whatever `prepare` adds (an audit entry, a
 * last-admin check), so the deletion and its side conditions stand or fall together. Returns false
 * when the account was already gone; throws KvConflict when the first commit's checks fail.
 */
export async function deleteUser(
  kv: Deno.Kv,
  id: string,
  prepare?: (op: Deno.AtomicOperation, user: User) => void | Promise<void>,
): Promise<boolean> {
  const entry = await kv.get<User>(keys.user(id));
  if (!entry.value) return false;
  const related: Deno.KvKey[] = [];
  for (const prefix of [keys.sessionsByUser(id), keys.apiTokensByUser(id), keys.recoveryCodes(id)]) {
    for await (const e of kv.list({ prefix })) {
      related.push(e.key);
      if (prefix[0] === "sessions_by_user") related.push(keys.session(String(e.key[2])));
      if (prefix[0] === "api_tokens_by_user") related.push(keys.apiToken(String(e.value)));
    }
  }
  related.push(keys.totpLastStep(id));
  // KV allows 1000 mutations per atomic op; the account keys go in the first batch so the
  // account disappears at once, and leftovers (sessions etc.) are only reachable through it.
  const batches: Deno.KvKey[][] = [];
  for (let i = 0; i < related.length; i += 900) batches.push(related.slice(i, i + 900));
  const first = kv.atomic().check(entry).delete(keys.user(id)).delete(keys.userByEmail(entry.value.email));
  for (const k of batches.shift() ?? []) first.delete(k);
  await prepare?.(first, entry.value);
  await commitOrThrow(first, `deleteUser ${id}`);
  for (const batch of batches) {
    const op = kv.atomic();
    for (const k of batch) op.delete(k);
    await op.commit();
  }
  return true;
}
