// Meeting chat: messages to everyone or privately to one person. Each message is a meeting message
// (so it reaches every instance in order) plus a chat record under the same id for history and
// transcripts. Private messages carry an audience of the two admissions involved; sessions filter
// on it, so nobody else receives them, live or on replay. Text is stored raw; nothing here renders HTML.
// The meetings capability's store module for chat records.

import type { Store, StoreAtomic } from "../common/store.ts";
import { commitChange, EVENT_TTL_MS } from "./events.ts";
import type { Participant } from "./participants.ts";
import { CHAT_HISTORY_LIMIT } from "../contracts/meeting_socket.ts";
import type { ChatMessage } from "../contracts/meeting_socket.ts";
import type { Audience } from "./audience.ts";
import { chatKeys } from "./keys.ts";

export interface ChatRecord {
  message: ChatMessage;
  fromAdmissionId: string;
  toAdmissionId: string | null;
  fromUserId: string | null;
  toUserId: string | null;
}

/**
 * Commits a chat message and its meeting message together; the chat record is stored under the
 * message's id (the id commitChange gives this attempt, so it cannot be wrong). Chat touches no key
 * another change does, so messages sent at the same moment share one commit.
 */
export async function sendChat(
  kv: Store,
  meetingId: string,
  from: Participant,
  to: Participant | null,
  text: string,
): Promise<ChatMessage> {
  const done = await commitChange(kv, meetingId, (id) => {
    const message: ChatMessage = {
      id,
      at: new Date().toISOString(),
      from: { participantId: from.participantId, name: from.name },
      to: to ? { participantId: to.participantId, name: to.name } : null,
      text,
    };
    const rec: ChatRecord = {
      message,
      fromAdmissionId: from.admissionId,
      toAdmissionId: to?.admissionId ?? null,
      fromUserId: from.userId,
      toUserId: to?.userId ?? null,
    };
    const data: Record<string, unknown> = { message };
    if (to) data._audience = { admissions: [from.admissionId, to.admissionId] } satisfies Audience;
    return Promise.resolve({
      event: { type: "chat", data },
      result: message,
      writes: (op: StoreAtomic) => op.set(chatKeys.message(meetingId, id), rec, { expireIn: EVENT_TTL_MS }),
    });
  });
  return done!.result;
}

/** True when a chat record may be shown to the holder of an admission. */
export function chatVisibleTo(rec: ChatRecord, admissionId: string): boolean {
  return rec.toAdmissionId === null || rec.fromAdmissionId === admissionId || rec.toAdmissionId === admissionId;
}

/** The newest messages with id ≤ `upToId` that the admission may see, oldest first. */
export async function chatHistory(
  kv: Store,
  meetingId: string,
  upToId: number,
  admissionId: string,
  limit = CHAT_HISTORY_LIMIT,
): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [];
  const iter = kv.list<ChatRecord>({
    start: chatKeys.message(meetingId, 0),
    end: chatKeys.message(meetingId, upToId + 1),
  }, { reverse: true, limit: limit * 20 });
  for await (const e of iter) {
    if (chatVisibleTo(e.value, admissionId)) out.push(e.value.message);
    if (out.length >= limit) break;
  }
  return out.reverse();
}

/** Every chat record of a meeting, oldest first. */
export async function listChat(kv: Store, meetingId: string): Promise<ChatRecord[]> {
  const out: ChatRecord[] = [];
  for await (const e of kv.list<ChatRecord>({ prefix: chatKeys.meeting(meetingId) })) out.push(e.value);
  return out;
}

/**
 * Keeps one message's text from impersonating other lines of a plain-text transcript: control
 * characters become spaces and continuation lines are indented.
 */
function transcriptText(text: string): string {
  // deno-lint-ignore no-control-regex -- stripping control characters is the point
  return text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, " ")
    .split("\n").join("\n    ");
}

/**
 * The chat as plain text for a host: messages to everyone, plus private messages only when
 * `userId` sent or received them.
 */
export function transcript(title: string, records: ChatRecord[], userId: string): string {
  const lines = [`Chat transcript: ${transcriptText(title)}`, ""];
  for (const r of records) {
    const m = r.message;
    if (m.to && r.fromUserId !== userId && r.toUserId !== userId) continue;
    const when = m.at.replace("T", " ").replace(/\.\d+Z$/, " UTC");
    const who = m.to
      ? `${transcriptText(m.from.name)} to ${transcriptText(m.to.name)} (privately)`
      : transcriptText(m.from.name);
    lines.push(`[${when}] ${who}: ${transcriptText(m.text)}`);
  }
  return lines.join("\n") + "\n";
}
