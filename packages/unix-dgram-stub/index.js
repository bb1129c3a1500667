"use strict";
// janode imports this module at load time for its Unix-socket transport. Talkspace talks to
// Janus over WebSocket only, so creating a Unix datagram socket is an explicit error.
function createSocket() {
  throw new Error(
    "unix-dgram is not available in Talkspace (Deno cannot load its native addon); use janode's WebSocket transport",
  );
}
module.exports = { createSocket };
