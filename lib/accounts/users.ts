// Accounts: creation (first account or ADMIN_EMAIL becomes admin), lookup, updates, deletion, and
// the admin list: paged by cursor over the account keys and searched through the email and
// name-word indexes, so no page ever reads every account.
// The accounts capability's store module for account records and their indexes: every account
// read and write goes through here (domain logic such as admin.ts and totp.ts calls commitUserChange).

import type { Store, StoreAtomic, StoreKey, StoreListEntry, StoreSelector } from "../common/store.ts";
import { keys } from "./keys.ts";
import { commitAtomic, commitOrThrow, KvConflict, updateRecord } from "../common/kv.ts";
import { newId } from "../common/ids.ts";
import { decodeBase64Url, encodeBase64Url } from "../common/encoding.ts";
import { logger } from "../common/log.ts";

const log = logger("users");

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
  /** The language chosen for the account (lib/i18n/locales.ts); absent: the browser's. */
  locale?: string;
  /**
   * The TOTP secret once two-factor is on, sealed (`v1:…`, lib/common/secret_box.ts; totp.ts seals
   * and opens it), or plain base32 from before encryption until the backfill reseals it. Pending
   * enrollment secrets live in the session.
   */
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

// ---------------------------------------------------------------------------------------------
// Indexes: email (unique), name words (search), enabled admins, and the account count

/** Adding 2^64 − 1 to a KvU64 wraps around: KV's `sum` has no subtraction, so this is "minus one". */
const MINUS_ONE = 0xffff_ffff_ffff_ffffn;
/** A name's words are capped so one account's index writes stay far below KV's 1000 mutations. */
const MAX_NAME_WORDS = 16;
const MAX_WORD_LENGTH = 64;
/** Sorts after every string (KV compares strings as UTF-8): the end of a prefix range. */
const PREFIX_END = "\u{10FFFF}";

/** Lower-cases and strips accents, so "José" is found by "jose". */
export function foldText(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();
}

/** The distinct words of a name as the name-word index stores them (folded, sorted). */
export function nameWords(name: string): string[] {
  const words = new Set<string>();
  for (const w of foldText(name).split(/[^\p{L}\p{N}]+/u)) {
    if (words.size >= MAX_NAME_WORDS) break;
    if (w) words.add(w.slice(0, MAX_WORD_LENGTH));
  }
  return [...words].sort();
}

export function isActiveAdmin(u: User): boolean {
  return u.role === "admin" && !u.disabled;
}

/**
 * Adds to `op` every index change that takes an account from `before` to `after` (null: absent):
 * the email index (checked free when it changes), the name words and the enabled-admin entry.
 * Every write of an account goes through this, in the same commit as the account itself.
 */
export function addUserIndexWrites(op: StoreAtomic, before: User | null, after: User | null): void {
  if (before?.email !== after?.email) {
    if (before) op.delete(keys.userByEmail(before.email));
    if (after) {
      op.check({ key: keys.userByEmail(after.email), versionstamp: null }).set(keys.userByEmail(after.email), after.id);
    }
  }
  const oldWords = new Set(before ? nameWords(before.name) : []);
  const newWords = new Set(after ? nameWords(after.name) : []);
  for (const w of oldWords) if (!newWords.has(w)) op.delete(keys.userByNameWord(w, before!.id));
  for (const w of newWords) if (!oldWords.has(w)) op.set(keys.userByNameWord(w, after!.id), after!.id);
  const wasAdmin = before !== null && isActiveAdmin(before);
  const isAdmin = after !== null && isActiveAdmin(after);
  if (wasAdmin && !isAdmin) op.delete(keys.activeAdmin(before!.id));
  if (isAdmin && !wasAdmin) op.set(keys.activeAdmin(after!.id), after!.id);
}

function newUser(input: NewUser, isAdmin: boolean, now: string): User {
  return {
    id: newId(),
    name: input.name.trim(),
    email: normalizeEmail(input.email),
    emailVerified: false,
    passwordHash: input.passwordHash,
    role: isAdmin ? "admin" : "user",
    disabled: false,
    timeZone: input.timeZone ?? "UTC",
    totpSecret: null,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Creates an account atomically with its indexes and the account count. The very first account,
 * or one whose email equals ADMIN_EMAIL, is an admin. Throws EmailTaken when the email is in use.
 */
export async function createUser(kv: Store, input: NewUser): Promise<User> {
  const [user] = await createUsers(kv, [input]);
  return user;
}

/**
 * Creates several accounts (imports, benchmarks, tests) in atomic batches of 50, each with its
 * indexes and one count update: a batch lands whole or not at all. The first account of an empty
 * install is the admin, as with createUser. Throws EmailTaken when an email is in use (or repeated).
 */
export async function createUsers(kv: Store, inputs: NewUser[]): Promise<User[]> {
  const emails = inputs.map((i) => normalizeEmail(i.email));
  if (new Set(emails).size !== emails.length) throw new EmailTaken();
  const out: User[] = [];
  // KV allows 100 checks per commit: one per email plus the first-account marker.
  for (let i = 0; i < inputs.length; i += 50) out.push(...await createBatch(kv, inputs.slice(i, i + 50)));
  return out;
}

async function createBatch(kv: Store, inputs: NewUser[]): Promise<User[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = new Date().toISOString();
    const first = await kv.get(keys.firstUserMarker());
    const isFirst = first.versionstamp === null;
    const users = inputs.map((input, i) =>
      newUser(
        input,
        (isFirst && i === 0) || (!!input.adminEmail && input.adminEmail === normalizeEmail(input.email)),
        now,
      )
    );
    const op = kv.atomic();
    // Only the first account checks and sets the marker, so later creates do not contend on it.
    if (isFirst) op.check(first).set(keys.firstUserMarker(), users[0].id);
    for (const user of users) {
      op.set(keys.user(user.id), user);
      addUserIndexWrites(op, null, user);
    }
    op.sum(keys.userCount(), BigInt(users.length));
    // An install without accounts has nothing to backfill: from here on every account is indexed
    // as it is written.
    if (isFirst) op.set(keys.userIndexesReady(), { at: now, users: 0 });
    if ((await commitAtomic(op)).ok) return users;
    const owners = await getManyValues<string>(kv, users.map((u) => keys.userByEmail(u.email)));
    if (owners.some((v) => v !== null)) throw new EmailTaken();
  }
  throw new KvConflict("createUser kept racing");
}

/** kv.getMany in chunks of 10 (its limit), values in key order. */
async function getManyValues<T>(kv: Store, list: StoreKey[]): Promise<(T | null)[]> {
  const out: (T | null)[] = [];
  for (let i = 0; i < list.length; i += 10) {
    for (const e of await kv.getMany<T[]>(list.slice(i, i + 10))) out.push(e.value);
  }
  return out;
}

export async function getUser(kv: Store, id: string): Promise<User | null> {
  return (await kv.get<User>(keys.user(id))).value;
}

export async function getUserByEmail(kv: Store, email: string): Promise<User | null> {
  const idEntry = await kv.get<string>(keys.userByEmail(normalizeEmail(email)));
  if (!idEntry.value) return null;
  return await getUser(kv, idEntry.value);
}

/**
 * Applies `change` to the stored user and writes it back atomically with its index changes
 * (versionstamp-checked, retried on conflict). An email change moves the email index in the same
 * commit and throws EmailTaken when the new address is in use. Returns the updated user, or null
 * if it is gone.
 */
export async function updateUser(
  kv: Store,
  id: string,
  change: (user: User) => Partial<User>,
): Promise<User | null> {
  return await updateRecord<User>(
    kv,
    keys.user(id),
    `updateUser ${id}`,
    (current, op) => {
      const next: User = { ...current, ...change(current), updatedAt: new Date().toISOString() };
      next.email = normalizeEmail(next.email);
      addUserIndexWrites(op, current, next);
      return next;
    },
    {
      afterLost: async (current, next) => {
        if (next.email === current.email) return;
        const owner = await kv.get<string>(keys.userByEmail(next.email));
        if (owner.value && owner.value !== id) throw new EmailTaken();
      },
    },
  );
}

/** Keeps the account's language (a supported locale; the caller checks). */
export async function setAccountLocale(kv: Store, id: string, locale: string): Promise<void> {
  await updateUser(kv, id, () => ({ locale }));
}

/**
 * One atomic read-modify-write of an account (versionstamp-checked, retried `attempts` times, then
 * KvConflict named `what`): `plan` sees the stored account and the commit, may add its own checks
 * and writes to it, and returns the new account (null: change nothing, commit nothing); the account
 * and its index changes go in the same commit. Returns the account as it now is, or null if gone.
 */
export async function commitUserChange(
  kv: Store,
  id: string,
  what: string,
  plan: (user: User, op: StoreAtomic) => Promise<User | null> | User | null,
  attempts = 10,
): Promise<User | null> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const entry = await kv.get<User>(keys.user(id));
    if (!entry.value) return null;
    const op = kv.atomic().check(entry);
    const next = await plan(entry.value, op);
    if (!next) return entry.value;
    op.set(keys.user(id), next);
    addUserIndexWrites(op, entry.value, next);
    if ((await commitAtomic(op)).ok) return next;
  }
  throw new KvConflict(what);
}

/**
 * Walks every account in key order, `batchSize` at a time, and writes back those `change` returns a
 * new record for (null: leave it): one atomic commit per batch, checked against each rewritten
 * account's versionstamp, with its index changes; a batch that lost a race is read again and planned
 * again (so `change` must be safe to repeat), up to 10 times, then KvConflict named `what`.
 * Returns how many accounts it read and how many it rewrote.
 */
export async function rewriteUsers(
  kv: Store,
  what: string,
  change: (user: User) => Promise<User | null>,
  batchSize = 50,
): Promise<{ scanned: number; rewritten: number }> {
  let scanned = 0;
  let rewritten = 0;
  let cursor: string | undefined;
  for (;;) {
    const iter = kv.list<User>({ prefix: keys.users() }, { limit: batchSize, cursor });
    const batch: StoreListEntry<User>[] = [];
    for await (const e of iter) batch.push(e);
    scanned += batch.length;
    if (batch.length) rewritten += await rewriteBatch(kv, what, batch, change);
    if (batch.length < batchSize) break;
    cursor = iter.cursor;
  }
  return { scanned, rewritten };
}

async function rewriteBatch(
  kv: Store,
  what: string,
  entries: StoreListEntry<User>[],
  change: (user: User) => Promise<User | null>,
): Promise<number> {
  let current = entries;
  for (let attempt = 0; attempt < 10; attempt++) {
    const op = kv.atomic();
    let n = 0;
    for (const e of current) {
      const next = await change(e.value);
      if (!next) continue;
      op.check(e).set(keys.user(e.value.id), next);
      addUserIndexWrites(op, e.value, next);
      n++;
    }
    if (n === 0 || (await commitAtomic(op)).ok) return n;
    const fresh: StoreListEntry<User>[] = [];
    for (let i = 0; i < current.length; i += 10) {
      const got = await kv.getMany<User[]>(current.slice(i, i + 10).map((e) => e.key));
      for (const e of got) if (e.versionstamp !== null) fresh.push(e as StoreListEntry<User>);
    }
    current = fresh;
  }
  throw new KvConflict(what);
}

/** Which key the last complete TOTP re-encryption pass left every secret sealed with, and its versionstamp. */
export async function getTotpSealMarker(kv: Store): Promise<{ keyId: string | null; versionstamp: string | null }> {
  const entry = await kv.get<{ keyId: string; at: string }>(keys.totpSealedWith());
  return { keyId: entry.value?.keyId ?? null, versionstamp: entry.versionstamp };
}

/** Records a complete pass with `keyId`, checked against the marker read before it; false if it moved. */
export async function setTotpSealMarker(kv: Store, keyId: string, versionstamp: string | null): Promise<boolean> {
  const op = kv.atomic().check({ key: keys.totpSealedWith(), versionstamp })
    .set(keys.totpSealedWith(), { keyId, at: new Date().toISOString() });
  return (await commitAtomic(op)).ok;
}

/**
 * Another enabled admin's account entry, or null, read through the enabled-admin index (never a
 * scan of accounts). Checking the entry's versionstamp in a commit keeps "someone else is admin"
 * true at that commit.
 */
export async function findOtherActiveAdmin(kv: Store, exceptId: string): Promise<StoreListEntry<User> | null> {
  await ensureUserIndexes(kv);
  for await (const e of kv.list<string>({ prefix: keys.activeAdmins() }, { batchSize: 4 })) {
    const id = String(e.key[1]);
    if (id === exceptId) continue;
    const entry = await kv.get<User>(keys.user(id));
    if (entry.value && isActiveAdmin(entry.value)) return entry as StoreListEntry<User>;
  }
  return null;
}

/** How many accounts exist (an atomic counter; nothing is scanned). */
export async function countUsers(kv: Store): Promise<number> {
  await ensureUserIndexes(kv);
  return Number((await kv.get<Deno.KvU64>(keys.userCount())).value?.value ?? 0n);
}

// ---------------------------------------------------------------------------------------------
// The admin account list: cursor pages over an index, never a read of every account

/** A cursor that is not one this list handed out (or belongs to another search). */
export class InvalidCursor extends Error {
  constructor() {
    super("This page link is not valid (any more). Start again from the first page.");
    this.name = "InvalidCursor";
  }
}

export interface UserPage {
  users: User[];
  /** Cursor of the next page; null on the last one. */
  next: string | null;
  /** Cursor of the previous page; null on the first one. */
  prev: string | null;
  /** Position of the first row in the whole list (0-based), for "Showing 26–50". */
  offset: number;
  /** Number of accounts when the list is unfiltered (an atomic counter); null for a search. */
  total: number | null;
}

/** Most index entries one search page reads: a page with rare matches stops early, with a next link. */
export const SEARCH_READ_BUDGET = 200;
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** One index range walked in key order; search pages walk their ranges one after the other. */
interface Segment {
  start: StoreKey;
  end: StoreKey;
  /** Whether a cursor's key (after the index name) can be a key of this range. */
  owns(tail: string[]): boolean;
  /** The account an entry stands for: the value itself, or an id to load. */
  ref(e: StoreListEntry<unknown>): User | string;
  /** Whether the entry shows this account (current, not shown by an earlier range or word, matching). */
  accept(key: StoreKey, user: User): boolean;
}

interface Position {
  seg: number;
  key: StoreKey;
}

interface Cursor extends Position {
  dir: "next" | "prev";
  offset: number;
}

function encodeCursor(c: Cursor): string {
  const json = JSON.stringify({ d: c.dir === "next" ? "n" : "p", s: c.seg, k: c.key.slice(1), o: c.offset });
  return encodeBase64Url(new TextEncoder().encode(json));
}

function decodeCursor(text: string, segments: Segment[], indexNames: string[]): Cursor {
  let raw: unknown;
  if (text.length > 1500) throw new InvalidCursor();
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(decodeBase64Url(text)));
  } catch {
    throw new InvalidCursor();
  }
  const c = raw as { d?: unknown; s?: unknown; k?: unknown; o?: unknown };
  if (typeof raw !== "object" || raw === null || (c.d !== "n" && c.d !== "p")) throw new InvalidCursor();
  if (!Number.isInteger(c.s) || (c.s as number) < 0 || (c.s as number) >= segments.length) throw new InvalidCursor();
  if (!Number.isSafeInteger(c.o) || (c.o as number) < 0) throw new InvalidCursor();
  if (!Array.isArray(c.k) || !c.k.every((p) => typeof p === "string")) throw new InvalidCursor();
  const seg = c.s as number;
  if (!segments[seg].owns(c.k as string[])) throw new InvalidCursor();
  return { dir: c.d === "n" ? "next" : "prev", seg, key: [indexNames[seg], ...c.k as string[]], offset: c.o as number };
}

interface Walked {
  rows: { pos: Position; user: User }[];
  /** More rows may lie beyond the last one returned (a row was peeked, or the read budget ran out). */
  more: boolean;
  /** The last entry read, for a cursor that resumes after a page the budget cut short. */
  last: Position | null;
}

/**
 * Reads up to `want` shown rows from `from` (exclusive) in one direction over the segments, plus
 * one to know whether more follow; reads at most `budget` index entries.
 */
async function walk(
  kv: Store,
  segments: Segment[],
  from: Position | null,
  dir: "next" | "prev",
  want: number,
  budget: number,
): Promise<Walked> {
  const rows: Walked["rows"] = [];
  let read = 0;
  let last: Position | null = null;
  const order = segments.map((_, i) => i);
  if (dir === "prev") order.reverse();
  for (const seg of order) {
    if (from && (dir === "next" ? seg < from.seg : seg > from.seg)) continue;
    const s = segments[seg];
    const selector: StoreSelector = from && seg === from.seg
      ? (dir === "next" ? { start: [...from.key, new Uint8Array()], end: s.end } : { start: s.start, end: from.key })
      : { start: s.start, end: s.end };
    const pending: { key: StoreKey; ref: User | string }[] = [];
    const flush = async () => {
      const ids = pending.filter((p) => typeof p.ref === "string").map((p) => keys.user(p.ref as string));
      const loaded = new Map<string, User>();
      for (const u of await getManyValues<User>(kv, ids)) if (u) loaded.set(u.id, u);
      for (const p of pending.splice(0)) {
        const user = typeof p.ref === "string" ? loaded.get(p.ref) : p.ref;
        if (user && rows.length <= want && s.accept(p.key, user)) rows.push({ pos: { seg, key: p.key }, user });
      }
    };
    const iter = kv.list(selector, { reverse: dir === "prev", limit: budget - read, batchSize: want + 1 });
    for await (const e of iter) {
      read++;
      last = { seg, key: e.key };
      pending.push({ key: e.key, ref: s.ref(e) });
      // Ids are loaded ten at a time (getMany's limit), or sooner when that could fill the page.
      if (pending.length >= Math.min(10, want + 1 - rows.length)) await flush();
      if (rows.length > want || read >= budget) break;
    }
    await flush();
    if (rows.length > want) return { rows: rows.slice(0, want), more: true, last };
    if (read >= budget) return { rows, more: true, last };
  }
  return { rows, more: false, last };
}

interface SearchTerm {
  /** Lower-cased as typed: matched against the start of the email. */
  raw: string;
  /** Its words, folded: each must start one of the name's words. */
  parts: string[];
}

function searchTerms(query: string): SearchTerm[] {
  const raws = [...new Set(query.trim().toLowerCase().split(/\s+/).filter(Boolean))].slice(0, 8);
  return raws.map((raw) => ({ raw, parts: foldText(raw).split(/[^\p{L}\p{N}]+/u).filter(Boolean) }));
}

function termMatches(user: User, words: string[], t: SearchTerm): boolean {
  if (user.email.startsWith(t.raw)) return true;
  return t.parts.length > 0 && t.parts.every((p) => words.some((w) => w.startsWith(p)));
}

const EMAIL_INDEX = keys.usersByEmail()[0];
const NAME_INDEX = keys.usersByNameWord()[0];
const USERS = keys.users()[0];

/**
 * The search's ranges: accounts whose email starts with the longest term (email order), then
 * accounts with a name word starting with that term's longest word (word order), each account once;
 * every other term must also start the email or a name word.
 */
function searchSegments(terms: SearchTerm[]): { segments: Segment[]; names: string[] } {
  const lead = terms.reduce((a, b) => (b.raw.length > a.raw.length ? b : a));
  const part = lead.parts.reduce((a, b) => (b.length > a.length ? b : a), "");
  const all = (u: User, words: string[]) => terms.every((t) => termMatches(u, words, t));
  const segments: Segment[] = [{
    start: [EMAIL_INDEX, lead.raw],
    end: [EMAIL_INDEX, lead.raw + PREFIX_END],
    owns: (k) => k.length === 1 && k[0].startsWith(lead.raw),
    ref: (e) => String(e.value),
    accept: (key, u) => u.email === key[1] && all(u, nameWords(u.name)),
  }];
  const names: string[] = [EMAIL_INDEX];
  if (part) {
    segments.push({
      start: [NAME_INDEX, part],
      end: [NAME_INDEX, part + PREFIX_END],
      owns: (k) => k.length === 2 && k[0].startsWith(part) && ULID_RE.test(k[1]),
      ref: (e) => String(e.key[2]),
      accept: (key, u) => {
        const words = nameWords(u.name);
        // Shown once: at the account's first word that matches, and not if the email range showed it.
        return !u.email.startsWith(lead.raw) && words.find((w) => w.startsWith(part)) === key[1] && all(u, words);
      },
    });
    names.push(NAME_INDEX);
  }
  return { segments, names };
}

const ALL_USERS: Segment = {
  start: [USERS, ""],
  end: [USERS, PREFIX_END],
  owns: (k) => k.length === 1 && ULID_RE.test(k[0]),
  ref: (e) => e.value as User,
  accept: () => true,
};

/**
 * One page of accounts: everyone in creation order, or a search (by the start of the email or of
 * name words; several words narrow it). `cursor` comes from an earlier page's next/prev. Reads
 * about one page of entries (a search at most SEARCH_READ_BUDGET index entries). Throws
 * InvalidCursor for a cursor this list did not hand out.
 */
export async function listUsers(
  kv: Store,
  opts: { query?: string; cursor?: string; limit?: number } = {},
): Promise<UserPage> {
  await ensureUserIndexes(kv);
  const limit = Math.max(1, Math.min(opts.limit ?? 25, 100));
  const terms = searchTerms(opts.query ?? "");
  const { segments, names } = terms.length ? searchSegments(terms) : { segments: [ALL_USERS], names: [USERS] };
  const budget = terms.length ? SEARCH_READ_BUDGET : limit + 1;
  const cursor = opts.cursor ? decodeCursor(opts.cursor, segments, names) : null;
  const total = terms.length ? null : countUsers(kv);

  let page: Walked;
  let offset: number;
  let hasPrev: boolean;
  if (cursor?.dir === "prev") {
    const back = await walk(kv, segments, cursor, "prev", limit, budget);
    if (back.more) {
      page = { rows: back.rows.reverse(), more: true, last: null };
      offset = Math.max(1, cursor.offset - page.rows.length);
      hasPrev = true;
    } else {
      // Reached the beginning: show the real first page (full, even if rows were added meanwhile).
      page = await walk(kv, segments, null, "next", limit, budget);
      offset = 0;
      hasPrev = false;
    }
  } else {
    page = await walk(kv, segments, cursor, "next", limit, budget);
    offset = cursor?.offset ?? 0;
    hasPrev = cursor !== null && page.rows.length > 0;
  }
  const { rows } = page;
  // After a page the budget cut short, the next page resumes after the last entry read.
  const nextFrom = rows.length === limit || !page.last ? rows.at(-1)?.pos : page.last;
  return {
    users: rows.map((r) => r.user),
    next: page.more && nextFrom ? encodeCursor({ dir: "next", ...nextFrom, offset: offset + rows.length }) : null,
    prev: hasPrev ? encodeCursor({ dir: "prev", ...rows[0].pos, offset }) : null,
    offset,
    total: total === null ? null : await total,
  };
}

// ---------------------------------------------------------------------------------------------
// Backfill for installs with accounts from before the name-word, admin and count entries

const ready = new WeakMap<Store, Promise<void>>();

/**
 * Makes sure the account indexes are complete (runs the backfill once per KV store and process;
 * after it ran anywhere, a single read of its marker). Every account list and admin check calls it.
 */
export function ensureUserIndexes(kv: Store): Promise<void> {
  let p = ready.get(kv);
  if (!p) {
    p = backfillUserIndexes(kv).then(() => {});
    ready.set(kv, p);
    // A failed backfill is retried by the next caller (this one still sees the error).
    p.catch(() => ready.delete(kv));
  }
  return p;
}

/**
 * Builds any missing name-word and enabled-admin entries and the account count, in atomic batches
 * of 50 accounts (each checked against concurrent changes), then writes the marker together with
 * the count, checked against a create or delete meanwhile (then it counts again). Idempotent; a
 * no-op once the marker exists. Returns how many accounts it indexed, or null when it had run before.
 */
export async function backfillUserIndexes(kv: Store): Promise<number | null> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const marker = await kv.get(keys.userIndexesReady());
    if (marker.versionstamp !== null) return null;
    const count = await kv.get(keys.userCount());
    let n = 0;
    let cursor: string | undefined;
    for (;;) {
      const iter = kv.list<User>({ prefix: keys.users() }, { limit: 50, cursor });
      const batch: StoreListEntry<User>[] = [];
      for await (const e of iter) batch.push(e);
      if (batch.length) await indexBatch(kv, batch);
      n += batch.length;
      if (batch.length < 50) break;
      cursor = iter.cursor;
    }
    const op = kv.atomic().check(marker).check(count)
      .set(keys.userCount(), new Deno.KvU64(BigInt(n)))
      .set(keys.userIndexesReady(), { at: new Date().toISOString(), users: n });
    if ((await commitAtomic(op)).ok) {
      log.info("account indexes built", { users: n });
      return n;
    }
    // An account was created or deleted meanwhile, or another process finished first: look again.
  }
  throw new KvConflict("account index backfill kept racing");
}

async function indexBatch(kv: Store, entries: StoreListEntry<User>[]): Promise<void> {
  let current = entries;
  for (let attempt = 0; attempt < 10; attempt++) {
    const op = kv.atomic();
    for (const e of current) {
      // The account must be unchanged, or its words could be an old name's.
      op.check(e);
      for (const w of nameWords(e.value.name)) op.set(keys.userByNameWord(w, e.value.id), e.value.id);
      if (isActiveAdmin(e.value)) op.set(keys.activeAdmin(e.value.id), e.value.id);
      else op.delete(keys.activeAdmin(e.value.id));
    }
    if ((await commitAtomic(op)).ok) return;
    const fresh: StoreListEntry<User>[] = [];
    for (let i = 0; i < current.length; i += 10) {
      const got = await kv.getMany<User[]>(current.slice(i, i + 10).map((e) => e.key));
      for (const e of got) if (e.versionstamp !== null) fresh.push(e as StoreListEntry<User>);
    }
    current = fresh;
    if (!current.length) return;
  }
  throw new KvConflict("account index backfill batch kept racing");
}

/**
 * Deletes an account with its indexes, sessions, tokens and two-factor data. The account and
 * its indexes go in the first commit, together with whatever `prepare` adds (an audit entry, a
 * last-admin check), so the deletion and its side conditions stand or fall together. Returns false
 * when the account was already gone; throws KvConflict when the first commit's checks fail.
 */
export async function deleteUser(
  kv: Store,
  id: string,
  prepare?: (op: StoreAtomic, user: User) => void | Promise<void>,
): Promise<boolean> {
  const entry = await kv.get<User>(keys.user(id));
  if (!entry.value) return false;
  const related: StoreKey[] = [];
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
  const batches: StoreKey[][] = [];
  for (let i = 0; i < related.length; i += 900) batches.push(related.slice(i, i + 900));
  const first = kv.atomic().check(entry).delete(keys.user(id)).sum(keys.userCount(), MINUS_ONE);
  addUserIndexWrites(first, entry.value, null);
  for (const k of batches.shift() ?? []) first.delete(k);
  await prepare?.(first, entry.value);
  await commitOrThrow(first, `deleteUser ${id}`);
  for (const batch of batches) {
    let done = false;
    // Plain deletes fail only on a busy database file: retry a few times.
    for (let attempt = 0; attempt < 5 && !done; attempt++) {
      const op = kv.atomic();
      for (const k of batch) op.delete(k);
      done = (await commitAtomic(op)).ok;
    }
    // The account is gone, so these keys are unreachable (sessions of a missing account sign no one
    // in) and expire by themselves; not worth failing a deletion that happened.
    if (!done) log.error("leftover keys of a deleted account not removed", { userId: id, keys: batch.length });
  }
  return true;
}
