// Ending a meeting: the status change and the `meeting-ended` message commit together, so every
// instance closes its sockets and no admission works afterwards.

import type { Store } from "../common/store.ts";
import { commitChange } from "./events.ts";
import type { Meeting } from "./store.ts";
import type { MediaGateway } from "../contracts/gateway_api.ts";
import { logger } from "../common/log.ts";
import { getMeeting, getMeetingEntry } from "./store.ts";

const log = logger("meetings");

/**
 * Ends a meeting (idempotent: an ended meeting is returned unchanged and no second message is
 * sent), then asks the gateway to destroy the room; gateway failures are logged, not fatal.
 */
export async function endMeeting(
  kv: Store,
  meeting: Meeting,
  gateway: MediaGateway | null,
  reason = "The host ended the meeting",
): Promise<Meeting> {
  const done = await commitChange(kv, meeting.meetingId, async () => {
    const entry = await getMeetingEntry(kv, meeting.id);
    if (!entry.value || entry.value.status === "ended") return null;
    const next: Meeting = { ...entry.value, status: "ended", endedAt: new Date().toISOString() };
    return {
      event: { type: "meeting-ended", data: { reason } },
      result: next,
      writes: (op) => op.check(entry).set(entry.key, next),
    };
  });
  if (!done) return (await getMeeting(kv, meeting.id)) ?? meeting;
  log.info("meeting ended", { meetingId: meeting.meetingId });
  if (gateway) {
    try {
      await gateway.destroyRoom(meeting.meetingId);
    } catch (err) {
      log.error("destroying the room failed", { meetingId: meeting.meetingId, error: String(err) });
    }
  }
  return done.result;
}
