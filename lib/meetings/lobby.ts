// The lobby: hosts admit or deny waiting admissions. Each decision changes the admission, takes the
// entry off the lobby list and tells hosts and the waiting person (`lobby-left`) in one commit.

import type { Store } from "../common/store.ts";
import { commitChange } from "./events.ts";
import { getAdmissionEntry, getLobbyEntry, listLobbyRecords, writeAdmission, writeBlocks } from "./admissions.ts";
import type { Admission } from "./join.ts";
import type { Actor, LobbyEntry } from "../contracts/meeting_socket.ts";

/** Everyone waiting in a meeting's lobby, in knock order. */
export async function listLobby(kv: Store, meetingId: string): Promise<LobbyEntry[]> {
  const out = (await listLobbyRecords(kv, meetingId)).map((r) => r.entry);
  return out.sort((a, b) => a.knockedAt.localeCompare(b.knockedAt) || a.admissionId.localeCompare(b.admissionId));
}

/**
 * Admits or denies one waiting admission (atomic with its `lobby-left` message). False when it is
 * not waiting any more (someone decided first, or it left).
 */
export async function decideLobby(
  kv: Store,
  meetingId: string,
  admissionId: string,
  outcome: "admitted" | "denied",
  by: Actor,
): Promise<boolean> {
  const done = await commitChange(kv, meetingId, async () => {
    const rec = await getLobbyEntry(kv, meetingId, admissionId);
    if (!rec.value) return null;
    const tokenHash = rec.value.tokenHash;
    const adm = await getAdmissionEntry(kv, meetingId, tokenHash);
    const now = new Date();
    return {
      event: { type: "lobby-left", data: { admissionId, outcome, by, _audience: "moderators" } },
      result: true,
      writes: (op) => {
        op.check(rec).delete(rec.key);
        if (adm.value?.state !== "waiting") return;
        const next: Admission = outcome === "admitted"
          ? { ...adm.value, state: "admitted", admittedAt: now.toISOString() }
          : { ...adm.value, state: "denied", deniedAt: now.toISOString() };
        writeAdmission(op.check(adm), tokenHash, next);
        if (outcome === "denied") writeBlocks(op, adm.value, "denied", now);
      },
    };
  });
  return done !== null;
}

/** Takes a waiting person off the list when the lobby socket `connectionId` still holds it (they left). */
export async function leaveLobby(kv: Store, meetingId: string, admissionId: string, connectionId: string) {
  await commitChange(kv, meetingId, async () => {
    const rec = await getLobbyEntry(kv, meetingId, admissionId);
    if (!rec.value || rec.value.connectionId !== connectionId) return null;
    return {
      event: { type: "lobby-left", data: { admissionId, outcome: "gone", _audience: "moderators" } },
      result: null,
      writes: (op) => op.check(rec).delete(rec.key),
    };
  });
}
