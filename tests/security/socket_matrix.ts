// The meeting-socket matrix: one or more rows per client → server message type of
// lib/contracts/meeting_socket.ts, saying whether each role in the meeting may send it. "allowed"
// means no `forbidden` user error and the socket stays up (an allowed action on a target that is not
// there answers `not-found`, which proves the role check passed without changing anything);
// "forbidden" means the documented user error `{kind:"user", code:"forbidden", action:<type>}`.
// Phone participants have no socket (n/a); a removed guest's socket is refused at the handshake,
// a lobby socket may only say hello and ping, and malformed input closes with 4400.
//
// To add a row for a new message type: say what each role gets and give the message each role sends
// (`ids.host` is the host's participantId, `ids.self` the sender's own, ABSENT is nobody's).

import type { ClientMessageType, UserErrorCode } from "../../lib/contracts/meeting_socket.ts";

export const ROLES = ["participant", "guest", "cohost", "host"] as const;
export type Role = typeof ROLES[number];

export type SocketAnswer = "allowed" | "forbidden" | "n/a";

export interface Ids {
  host: string;
  self: string;
}

/** A participantId (and admissionId) nobody has. */
export const ABSENT = "p-absent-0000";

export interface SocketRow {
  type: ClientMessageType;
  label: string;
  expect: Record<Role, SocketAnswer>;
  message: (ids: Ids) => Record<string, unknown>;
  /**
   * When allowed, the one user error that must come back (`not-found` for a target nobody has,
   * `unavailable` for what needs the media gateway); no error at all when absent.
   */
  answer?: UserErrorCode;
  /** Allowed means the meeting ends: every socket closes with 4000. */
  ends?: boolean;
}

const all = (a: SocketAnswer): Record<Role, SocketAnswer> => ({ participant: a, guest: a, cohost: a, host: a });
/** Hosts and co-hosts ("mod" in docs/meeting-protocol.md). */
const mods: Record<Role, SocketAnswer> = {
  participant: "forbidden",
  guest: "forbidden",
  cohost: "allowed",
  host: "allowed",
};
/** The host only. */
const hostOnly: Record<Role, SocketAnswer> = {
  participant: "forbidden",
  guest: "forbidden",
  cohost: "forbidden",
  host: "allowed",
};
/** A moderation aimed at the host: nobody else may (co-hosts included, footnote ¹). */
const onTheHost: Record<Role, SocketAnswer> = {
  participant: "forbidden",
  guest: "forbidden",
  cohost: "forbidden",
  host: "n/a",
};

/** The two rows of a moderation with a target: aimed at the host, and at someone absent. */
function targeted(type: ClientMessageType, extra: Record<string, unknown> = {}): SocketRow[] {
  return [
    {
      type,
      label: `${type} on the host`,
      expect: onTheHost,
      message: (ids) => ({ type, participantId: ids.host, ...extra }),
    },
    {
      type,
      label: `${type} on someone absent`,
      expect: mods,
      answer: "not-found",
      message: () => ({ type, participantId: ABSENT, ...extra }),
    },
  ];
}

export const SOCKET_MATRIX: SocketRow[] = [
  // hello is what every role's socket opened with (checked when it was welcomed); a second one is not sent.
  {
    type: "state",
    label: "state",
    expect: all("allowed"),
    message: () => ({ type: "state", audio: false, video: false, screen: false }),
  },
  { type: "ping", label: "ping", expect: all("allowed"), message: () => ({ type: "ping" }) },
  { type: "raise-hand", label: "raise-hand", expect: all("allowed"), message: () => ({ type: "raise-hand" }) },
  { type: "lower-hand", label: "lower-hand (own)", expect: all("allowed"), message: () => ({ type: "lower-hand" }) },
  {
    type: "lower-hand",
    label: "lower-hand (own, by id)",
    expect: all("allowed"),
    message: (ids) => ({ type: "lower-hand", participantId: ids.self }),
  },
  {
    type: "lower-hand",
    label: "lower-hand (the host's)",
    expect: { ...mods, cohost: "allowed", host: "n/a" },
    message: (ids) => ({ type: "lower-hand", participantId: ids.host }),
  },
  { type: "react", label: "react", expect: all("allowed"), message: () => ({ type: "react", emoji: "👍" }) },
  {
    type: "chat",
    label: "chat",
    expect: all("allowed"),
    message: () => ({ type: "chat", text: "hello from the matrix" }),
  },
  {
    type: "rename",
    label: "rename (self)",
    expect: all("allowed"),
    message: (ids) => ({ type: "rename", participantId: ids.self, name: "Renamed Self" }),
  },
  ...targeted("rename", { name: "Mallory" }),
  {
    type: "lobby-admit",
    label: "lobby-admit",
    expect: mods,
    answer: "not-found",
    message: () => ({ type: "lobby-admit", admissionId: ABSENT }),
  },
  {
    type: "lobby-deny",
    label: "lobby-deny",
    expect: mods,
    answer: "not-found",
    message: () => ({ type: "lobby-deny", admissionId: ABSENT }),
  },
  { type: "lobby-admit-all", label: "lobby-admit-all", expect: mods, message: () => ({ type: "lobby-admit-all" }) },
  { type: "lobby-deny-all", label: "lobby-deny-all", expect: mods, message: () => ({ type: "lobby-deny-all" }) },
  ...targeted("mute"),
  { type: "mute-all", label: "mute-all", expect: mods, message: () => ({ type: "mute-all", allowUnmute: true }) },
  ...targeted("ask-unmute", { media: "audio" }),
  ...targeted("stop-video"),
  ...targeted("unmute"),
  ...targeted("remove"),
  {
    type: "set-role",
    label: "set-role on the host",
    expect: onTheHost,
    message: (ids) => ({ type: "set-role", participantId: ids.host, role: "participant" }),
  },
  {
    type: "set-role",
    label: "set-role on someone absent",
    expect: hostOnly,
    answer: "not-found",
    message: () => ({ type: "set-role", participantId: ABSENT, role: "cohost" }),
  },
  {
    type: "transfer-host",
    label: "transfer-host to someone absent",
    expect: hostOnly,
    answer: "not-found",
    message: () => ({ type: "transfer-host", participantId: ABSENT }),
  },
  { type: "settings", label: "settings", expect: mods, message: () => ({ type: "settings", chat: "everyone" }) },
  { type: "lower-all-hands", label: "lower-all-hands", expect: mods, message: () => ({ type: "lower-all-hands" }) },
  {
    type: "dial-out",
    label: "dial-out",
    expect: mods,
    answer: "unavailable",
    message: () => ({ type: "dial-out", target: "+4930123456", name: "Dora" }),
  },
  // Last: the co-host's end closes every socket (so the host's own end is not asked here).
  // Recording: the meeting's default lets hosts and co-hosts; guests never (no account). This world
  // has no media gateway, so starting answers `unavailable` after every check, and stopping a
  // recording that does not run answers `conflict`.
  {
    type: "record",
    label: "record (start)",
    expect: mods,
    message: () => ({ type: "record", on: true }),
    answer: "unavailable",
  },
  {
    type: "record",
    label: "record (stop)",
    expect: mods,
    message: () => ({ type: "record", on: false }),
    answer: "conflict",
  },
  {
    type: "end-meeting",
    label: "end-meeting",
    expect: { ...mods, host: "n/a" },
    message: () => ({ type: "end-meeting" }),
    ends: true,
  },
];

/** Malformed input: each on a fresh socket, each closes it with 4400 and a reason. */
export const MALFORMED: { label: string; frames: (string | Uint8Array)[]; hello?: boolean }[] = [
  { label: "unknown type", frames: [JSON.stringify({ type: "teleport" })] },
  { label: "not JSON", frames: ["{not json"] },
  { label: "unknown field", frames: [JSON.stringify({ type: "ping", extra: 1 })] },
  { label: "wrong value type", frames: [JSON.stringify({ type: "chat", text: 5 })] },
  { label: "unknown reaction", frames: [JSON.stringify({ type: "react", emoji: "💩" })] },
  { label: "frame over 16 KiB", frames: [JSON.stringify({ type: "chat", text: "x".repeat(17 * 1024) })] },
  { label: "binary frame", frames: [new TextEncoder().encode(JSON.stringify({ type: "ping" }))] },
  { label: "an action before hello", frames: [JSON.stringify({ type: "mute", participantId: ABSENT })], hello: false },
];
