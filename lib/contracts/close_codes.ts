// The meeting socket's close codes, in a module of their own (no zod), so the browser client imports
// the one table instead of a copy. lib/contracts/meeting_socket.ts re-exports it.

/** WebSocket close codes the server uses (4000–4999 are application codes). */
export const CLOSE = {
  /** The host ended the meeting (or it had ended before the socket said hello). */
  meetingEnded: 4000,
  /** Lobby: a host admitted you; reload the meeting page to enter. */
  admitted: 4001,
  /** Lobby: a host did not let you in (`lobby` message with status "denied" came first). */
  denied: 4003,
  /** A host removed you from the meeting; you cannot rejoin it. */
  removed: 4004,
  /** The admission stopped working (expired, or the meeting is gone). */
  notAdmitted: 4403,
  /** A message broke the protocol; nothing from it was applied. */
  protocolError: 4400,
  /** Too many messages (a flood from this person); the reason says what to do. Reconnecting later is fine. */
  rateLimited: 4429,
  /** The server is shutting down; reconnect (to any instance). */
  goingAway: 1001,
} as const;
