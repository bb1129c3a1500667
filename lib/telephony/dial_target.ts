// The dial-out target rule, in a module without zod so the in-meeting client can import it
// (lib/contracts/meeting_socket.ts builds zod schemas at load time and would pull zod into the bundle).

/** A number in E.164 form (`+` and 8–15 digits) or a `sip:` URI: what a host may call out to. */
export const DIAL_OUT_TARGET = /^(?:\+[1-9]\d{7,14}|sips?:[^\s@<>"]+@[A-Za-z0-9.-]+(?::\d{1,5})?)$/;
