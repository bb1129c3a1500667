// The meetings capability's store module for admissions, the lobby list and deny/remove blocks:
// every KV read and write of those records goes through here (join.ts and lobby.ts hold the rules).

import type { Store, StoreAtomic, StoreEntry, StoreKey } from "../common/store.ts";
import { commitOrThrow } from "../common/kv.ts";
import { DENIED_RETRY_MS } from "../contracts/meeting_socket.ts";
import { EVENT_TTL_MS } from "./events.ts";
import { admissionKeys, blockKeys, lobbyKeys } from "./keys.ts";
import type { BlockKind } from "./keys.ts";
import type { Admission, LobbyRecord } from "./join.ts";

export const ADMISSION_TTL_MS = 24 * 60 * 60 * 1000;

/** Why someone may not knock: denied (until `until`) or removed. */
export interface Block {
  kind: BlockKind;
  until: string | null;
}

/** The admission behind a token hash, with its versionstamp (for a checked change). */
export function getAdmissionEntry(kv: Store, meetingId: string, tokenHash: string): Promise<StoreEntry<Admission>> {
  return kv.get<Admission>(admissionKeys.admission(meetingId, tokenHash));
}

/** The admission behind a token hash, or null. */
export async function getAdmission(kv: Store, meetingId: string, tokenHash: string): Promise<Admission | null> {
  return (await getAdmissionEntry(kv, meetingId, tokenHash)).value;
}

/** Adds "store this admission (24 h)" to a commit; with `fresh`, only if no admission has this token hash. */
export function writeAdmission(op: StoreAtomic, tokenHash: string, a: Admission, fresh = false): StoreAtomic {
  const key = admissionKeys.admission(a.meetingId, tokenHash);
  if (fresh) op.check({ key, versionstamp: null });
  return op.set(key, a, { expireIn: ADMISSION_TTL_MS });
}

/** Stores a new admission (atomic, checked absent; throws KvConflict when the token hash is taken). */
export async function insertAdmission(kv: Store, tokenHash: string, a: Admission): Promise<void> {
  await commitOrThrow(writeAdmission(kv.atomic(), tokenHash, a, true), "admit");
}

/** Stores an admission over whatever is there (one write, last one wins). */
export async function putAdmission(kv: Store, tokenHash: string, a: Admission): Promise<void> {
  await kv.set(admissionKeys.admission(a.meetingId, tokenHash), a, { expireIn: ADMISSION_TTL_MS });
}

/** A lobby entry with its versionstamp (value null when the admission is not listed). */
export function getLobbyEntry(kv: Store, meetingId: string, admissionId: string): Promise<StoreEntry<LobbyRecord>> {
  return kv.get<LobbyRecord>(lobbyKeys.entry(meetingId, admissionId));
}

/** Adds "list this waiting admission (24 h)" to a commit. */
export function writeLobbyEntry(op: StoreAtomic, meetingId: string, admissionId: string, rec: LobbyRecord) {
  return op.set(lobbyKeys.entry(meetingId, admissionId), rec, { expireIn: ADMISSION_TTL_MS });
}

/** Every lobby record of a meeting, in key order. */
export async function listLobbyRecords(kv: Store, meetingId: string): Promise<LobbyRecord[]> {
  const out: LobbyRecord[] = [];
  for await (const e of kv.list<LobbyRecord>({ prefix: lobbyKeys.meeting(meetingId) })) out.push(e.value);
  return out;
}

/**
 * Adds the blocks for a denied (10 minutes) or removed (as long as the meeting's records) person to
 * a commit: by account for signed-in people, by IP address for guests. The admission's own state
 * covers the cookie.
 */
export function writeBlocks(op: StoreAtomic, a: Admission, kind: BlockKind, now: Date) {
  const ms = kind === "denied" ? DENIED_RETRY_MS : EVENT_TTL_MS;
  const block: Block = { kind, until: kind === "denied" ? new Date(now.getTime() + ms).toISOString() : null };
  if (a.userId) op.set(blockKeys.user(a.meetingId, kind, a.userId), block, { expireIn: ms });
  else if (a.ip) op.set(blockKeys.ip(a.meetingId, kind, a.ip), block, { expireIn: ms });
}

/** The removed and denied blocks of an account (or, for guests, an IP address), in one read. */
export async function getBlocks(
  kv: Store,
  meetingId: string,
  who: { userId: string | null; ip: string },
): Promise<{ removed: Block | null; denied: Block | null }> {
  const keys: [StoreKey, StoreKey] = who.userId
    ? [blockKeys.user(meetingId, "removed", who.userId), blockKeys.user(meetingId, "denied", who.userId)]
    : [blockKeys.ip(meetingId, "removed", who.ip), blockKeys.ip(meetingId, "denied", who.ip)];
  const [removed, denied] = await kv.getMany<[Block, Block]>(keys);
  return { removed: removed.value, denied: denied.value };
}
