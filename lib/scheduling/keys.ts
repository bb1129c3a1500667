// Typed KV key builders of the scheduling capability: the only place its key shapes are written
// down, next to the meeting keys they extend (lib/meetings/keys.ts). Only lib/scheduling/schedule.ts
// (the scheduling store module) reads and writes them. The shapes are stored data: changing one
// makes existing records unreadable.

export const scheduleKeys = {
  /** The Schedule record, by 10-digit meeting ID. */
  schedule: (meetingId: string) => ["meeting_schedules", meetingId] as const,
  /** Schedules a person hosts (value: true). */
  byHost: (hostId: string, meetingId: string) => ["meeting_schedules_by_host", hostId, meetingId] as const,
  hostPrefix: (hostId: string) => ["meeting_schedules_by_host", hostId] as const,
  /** Schedules an email address is invited to (lower-cased address; value: true). */
  byInvitee: (email: string, meetingId: string) => ["meeting_schedules_by_invitee", email, meetingId] as const,
  inviteePrefix: (email: string) => ["meeting_schedules_by_invitee", email] as const,
  /** Calendar feed token hash → user id. */
  feedToken: (tokenHash: string) => ["calendar_feed_tokens", tokenHash] as const,
  /** A person's calendar feed record (holds the token). */
  feedByUser: (userId: string) => ["calendar_feed_by_user", userId] as const,
};
