// Typed KV key builders of the meetings capability: the only place its key shapes are written down.
// Only the meetings store modules (store.ts, participants.ts, admissions.ts, attendance.ts, chat.ts,
// events.ts; see each one's header) read and write these keys. Phone calls have their own records
// (lib/telephony/keys.ts); schedules extend meetings from lib/scheduling/keys.ts.
// The shapes are stored data: changing one makes existing records unreadable.

/** Why someone may not knock again: a host denied (for a while) or removed them. */
export type BlockKind = "denied" | "removed";

/** Meeting records, and the indexes that find them by 10-digit meeting ID and by host. */
export const meetingKeys = {
  /** The Meeting record, by its ULID. */
  meeting: (id: string) => ["meetings", id] as const,
  /** 10-digit meeting ID → the record's ULID. */
  byNumber: (meetingId: string) => ["meetings_by_number", meetingId] as const,
  /** Meetings a person hosts (value: the 10-digit meeting ID), ordered by ULID. */
  byHost: (hostId: string, id: string) => ["meetings_by_host", hostId, id] as const,
  hostPrefix: (hostId: string) => ["meetings_by_host", hostId] as const,
};

/** Participants: one record per participantId (a person's presence through one socket session). */
export const participantKeys = {
  participant: (meetingId: string, participantId: string) =>
    ["meeting_participants", meetingId, participantId] as const,
  meeting: (meetingId: string) => ["meeting_participants", meetingId] as const,
};

/** Admissions, keyed by the SHA-256 hash of the pass token in the person's cookie. */
export const admissionKeys = {
  admission: (meetingId: string, tokenHash: string) => ["meeting_admissions", meetingId, tokenHash] as const,
  meeting: (meetingId: string) => ["meeting_admissions", meetingId] as const,
};

/** The lobby list: one LobbyRecord per waiting admission. */
export const lobbyKeys = {
  entry: (meetingId: string, admissionId: string) => ["meeting_lobby", meetingId, admissionId] as const,
  meeting: (meetingId: string) => ["meeting_lobby", meetingId] as const,
};

/** Deny and remove blocks, by account for signed-in people and by IP address for guests. */
export const blockKeys = {
  user: (meetingId: string, kind: BlockKind, userId: string) =>
    ["meeting_blocks", meetingId, kind, "user", userId] as const,
  ip: (meetingId: string, kind: BlockKind, ip: string) => ["meeting_blocks", meetingId, kind, "ip", ip] as const,
};

/** Attendance: one record per stay, plus the per-person index behind the "Meetings" history page. */
export const attendanceKeys = {
  record: (meetingId: string, attendanceId: string) => ["meeting_attendance", meetingId, attendanceId] as const,
  meeting: (meetingId: string) => ["meeting_attendance", meetingId] as const,
  /** Meetings a signed-in person attended: value is the 10-digit meeting ID. */
  byAttendee: (userId: string, meetingRecordId: string) => ["meetings_by_attendee", userId, meetingRecordId] as const,
  attendee: (userId: string) => ["meetings_by_attendee", userId] as const,
};

/** Chat records, under the id of the meeting message that carried them. */
export const chatKeys = {
  message: (meetingId: string, id: number) => ["meeting_chat", meetingId, id] as const,
  meeting: (meetingId: string) => ["meeting_chat", meetingId] as const,
};

/** The meeting's message log: the head (last sequence number) and the messages by sequence number. */
export const eventKeys = {
  head: (meetingId: string) => ["meeting_event_head", meetingId] as const,
  event: (meetingId: string, seq: number) => ["meeting_events", meetingId, seq] as const,
  events: (meetingId: string) => ["meeting_events", meetingId] as const,
};
