// How the meeting socket's server frames carry messages; no imports, so the browser client can use it
// without pulling in the schemas (docs/meeting-protocol.md, "Frames").

/**
 * A server frame carries one message or several, each a JSON text, joined by a newline: what the
 * server has for a socket in one turn of its event loop (a burst of chat committed together) goes
 * out as one frame, so 100 sockets cost 100 writes per burst, not 100 per message.
 * JSON.stringify never writes a raw newline, so the split is unambiguous.
 */
export const FRAME_SEPARATOR = "\n";

/** The messages of one server frame, in order. */
export function frameMessages(data: string): unknown[] {
  return data.split(FRAME_SEPARATOR).map((text) => JSON.parse(text));
}
