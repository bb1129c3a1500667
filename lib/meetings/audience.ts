// Who may receive a meeting message. The log is shared by every socket of a meeting, so messages
// meant for some people carry an `_audience` in their data; sessions check it before sending (live
// and on replay) and strip it, so it never leaves the server.

/** Hosts and co-hosts; the holders of some admissions; or one participant (plus, optionally, moderators). */
export type Audience = "moderators" | { admissions: string[] } | { participantId: string; moderators: boolean };

/** Who is looking. */
export interface Viewer {
  admissionId: string;
  participantId: string | null;
  moderator: boolean;
  /** A lobby socket sees only messages about its own admission (and the meeting's end). */
  waiting: boolean;
}

/** Message types a lobby socket may receive (besides the decision about its own admission). */
const LOBBY_VISIBLE = new Set(["meeting-ended"]);

/** True when the viewer may receive a message with this type and data. */
export function mayReceive(type: string, data: Record<string, unknown>, viewer: Viewer): boolean {
  if (viewer.waiting) {
    return LOBBY_VISIBLE.has(type) || (type === "lobby-left" && data.admissionId === viewer.admissionId);
  }
  const audience = data._audience as Audience | undefined;
  if (audience === undefined) return true;
  if (audience === "moderators") return viewer.moderator;
  if ("admissions" in audience) return audience.admissions.includes(viewer.admissionId);
  return viewer.participantId === audience.participantId || (audience.moderators && viewer.moderator);
}

/** The data as clients see it (without `_audience`). */
export function publicData(data: Record<string, unknown>): Record<string, unknown> {
  if (!("_audience" in data)) return data;
  const { _audience: _, ...rest } = data;
  return rest;
}
