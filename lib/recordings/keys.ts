// Typed KV key builders of the recordings capability: the only place its key shapes are written
// down. Only lib/recordings/store.ts reads and writes these keys. The shapes are stored data:
// changing one makes existing records unreadable.

export const recordingKeys = {
  /** The Recording record, by its ULID. */
  recording: (id: string) => ["recordings", id] as const,
  /** A person's recordings (the meetings they host), newest last: value is the recording id. */
  byOwner: (ownerId: string, id: string) => ["recordings_by_owner", ownerId, id] as const,
  owner: (ownerId: string) => ["recordings_by_owner", ownerId] as const,
  /** A meeting's recordings (10-digit meeting ID), in the order they were started. */
  byMeeting: (meetingId: string, id: string) => ["recordings_by_meeting", meetingId, id] as const,
  meeting: (meetingId: string) => ["recordings_by_meeting", meetingId] as const,
  /** The recording running in a meeting now (value: its id); absent when none is. */
  active: (meetingId: string) => ["recording_active", meetingId] as const,
  /** Recordings by the time retention deletes them (ms since the epoch), for the sweeper. */
  expiry: (atMs: number, id: string) => ["recordings_by_expiry", atMs, id] as const,
  expiries: () => ["recordings_by_expiry"] as const,
  /** Storage used by each owner's ready recordings, bytes (a Deno.KvU64 counter). */
  bytesByOwner: (ownerId: string) => ["recordings_bytes", ownerId] as const,
  /** Storage used by every ready recording, bytes (a Deno.KvU64 counter, moved with ready and delete). */
  totalBytes: () => ["recordings_bytes_total"] as const,
  /** A share link, by the SHA-256 of its token (the token itself is never stored); expires with the link. */
  link: (tokenHash: string) => ["recording_links", tokenHash] as const,
  /** A recording's share links (value: the link's token hash), in the order they were made. */
  linkOf: (recordingId: string, linkId: string) => ["recording_links_by_recording", recordingId, linkId] as const,
  linksOf: (recordingId: string) => ["recording_links_by_recording", recordingId] as const,
  /** One "your recording is ready / failed" delivery (channel "email" or "push:<device id>"): its marker. */
  notice: (recordingId: string, channel: string) => ["recording_notices", recordingId, channel] as const,
  /** An account's retention in days, set by an admin (overrides RECORDING_RETENTION_DAYS). */
  retention: (userId: string) => ["recording_retention", userId] as const,
};
