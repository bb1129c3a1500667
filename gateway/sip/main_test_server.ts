// A stand-alone SIP endpoint with a trivial call handler, for driving with sipp or baresip by hand:
// `deno run -A gateway/sip/main_test_server.ts 5070` answers sip:<10 digits>@… with a fixed SDP,
// sip:<10 digits>*<pin>@… when the pin is right (403 otherwise), and 404 for anything else.

import { logger } from "../../lib/common/log.ts";
import { type InviteHandler, SipEndpoint } from "./endpoint.ts";
import type { IncomingCall } from "./incoming_call.ts";

const log = logger("sip-test-server");

/** A fixed answer (PCMU, PCMA, Opus, telephone-event); media is not this module's business. */
export function fixedSdp(ip = "127.0.0.1", port = 40000, sessionId = Date.now()): string {
  return [
    "v=0",
    `o=talkspace ${sessionId} 1 IN IP4 ${ip}`,
    "s=Talkspace",
    `c=IN IP4 ${ip}`,
    "t=0 0",
    `m=audio ${port} RTP/AVP 0 8 111 101`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:111 opus/48000/2",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=ptime:20",
    "a=sendrecv",
    "",
  ].join("\r\n");
}

export interface DemoOptions {
  /** meeting id → pin; a dial string with another pin gets 403. */
  pins?: Record<string, string>;
  /** Called with every call the handler answered (tests hook events here). */
  answered?: (call: IncomingCall) => void;
}

/** Answers `<10 digits>` and `<10 digits>*<pin>`; 403 for a wrong pin, 404 for anything else. */
export function demoHandler(options: DemoOptions = {}): InviteHandler {
  return async (call) => {
    const m = /^(\d{10})(?:\*(\d+))?$/.exec(call.requestUri.user ?? "");
    if (!m) return call.reject(404);
    const pin = options.pins?.[m[1]];
    if (m[2] !== undefined && m[2] !== pin) return call.reject(403);
    if (pin !== undefined && m[2] === undefined) return call.reject(403);
    call.ringing();
    options.answered?.(call);
    try {
      await call.answer(fixedSdp());
    } catch (err) {
      log.info("call not confirmed", { callId: call.callId, error: String(err) });
    }
  };
}

if (import.meta.main) {
  const port = Number(Deno.args[0] ?? 5060);
  const endpoint = new SipEndpoint({ host: Deno.args[1] ?? "127.0.0.1", port });
  endpoint.onInvite(demoHandler({ pins: { "1234567890": "4321" } }));
  endpoint.start();
  Deno.addSignalListener("SIGTERM", () => endpoint.stop().then(() => Deno.exit(0)));
}
