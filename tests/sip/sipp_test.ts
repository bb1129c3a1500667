// The SIP endpoint driven by sipp as caller (UAS side) and as callee (UAC side), over loopback.

import { assert, assertEquals } from "./support.ts";
import { demoHandler, fixedSdp } from "../../gateway/sip/main_test_server.ts";
import type { IncomingCall } from "../../gateway/sip/incoming_call.ts";
import { explain, freePort, SCENARIOS, settled, sipp, spawnSipp, startEndpoint, waitFor } from "./support.ts";
import { skipUnlessPrograms } from "../support/tools.ts";

const noSipp = skipUnlessPrograms("sipp scenarios", "sipp");

/** A test that drives sipp: skipped with the reason when sipp (Debian sip-tester) is missing. */
function sippTest(name: string, fn: () => Promise<void>) {
  Deno.test({ name, ignore: noSipp !== null, fn });
}

const MEETING = "1234567890";

sippTest("OPTIONS gets 200 with Allow", async () => {
  const ep = startEndpoint();
  try {
    const r = await sipp(ep, "options.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
    await settled(ep);
  } finally {
    await ep.stop();
  }
});

for (const transport of ["u1", "t1"]) {
  sippTest(`plain call over ${transport === "u1" ? "UDP" : "TCP"}: 100/180/200, ACK, BYE from the caller`, async () => {
    const ep = startEndpoint();
    const ended: string[] = [];
    ep.onInvite(demoHandler({
      answered: (call) => {
        call.on("ended", (r) => ended.push(r));
        assertEquals(call.from.displayName, "Alice Caller");
        assertEquals(call.from.user, "alice");
        assert(call.remoteSdp?.media[0].rtp.some((r) => r.codec === "PCMU"));
        assertEquals(call.source.transport, transport === "u1" ? "udp" : "tcp");
      },
    }));
    try {
      const r = await sipp(ep, "call.xml", ["-s", MEETING, "-t", transport]);
      assertEquals(r.code, 0, explain(r));
      await waitFor("ended event", () => ended.length === 1);
      assertEquals(ended, ["bye"]);
      await settled(ep);
    } finally {
      await ep.stop();
    }
  });
}

sippTest("BYE from our side reaches sipp", async () => {
  const ep = startEndpoint();
  const ended: string[] = [];
  ep.onInvite(async (call) => {
    call.ringing();
    call.on("ended", (r) => ended.push(r));
    await call.answer(fixedSdp());
    call.hangup();
  });
  try {
    const r = await sipp(ep, "call_remote_bye.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
    assertEquals(ended, ["local"]);
    await settled(ep); // our BYE's transaction completed: sipp answered it
  } finally {
    await ep.stop();
  }
});

sippTest("CANCEL before answer: 200 to CANCEL, 487 to INVITE, ACK", async () => {
  const ep = startEndpoint();
  const ended: string[] = [];
  ep.onInvite((call) => {
    call.ringing();
    call.on("ended", (r) => ended.push(r));
    // never answers
  });
  try {
    const r = await sipp(ep, "cancel.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
    assertEquals(ended, ["cancel"]);
    const s = await settled(ep);
    assertEquals(s.dialogs, 0);
  } finally {
    await ep.stop();
  }
});

sippTest("INFO DTMF inside the dialog reaches the handler", async () => {
  const ep = startEndpoint();
  const digits: string[] = [];
  ep.onInvite(demoHandler({ answered: (call) => call.on("dtmf", (d, src) => digits.push(`${d}/${src}`)) }));
  try {
    const r = await sipp(ep, "info_dtmf.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
    assertEquals(digits, ["5/info", "#/info"]);
    await settled(ep);
  } finally {
    await ep.stop();
  }
});

sippTest(
  "INFO picture_fast_update both ways: ours answered 200 (a bad primitive 400), the gateway's reaches sipp",
  async () => {
    const ep = startEndpoint();
    const keyframes: string[] = [];
    ep.onInvite(demoHandler({
      answered: (call) =>
        call.on("keyframe", () => {
          keyframes.push("asked");
          // The room system asked us; now we ask it (sipp waits for this INFO before its BYE).
          call.requestKeyframe();
        }),
    }));
    try {
      const r = await sipp(ep, "info_fast_update.xml", ["-s", MEETING]);
      assertEquals(r.code, 0, explain(r));
      assertEquals(keyframes, ["asked"]);
      await settled(ep);
    } finally {
      await ep.stop();
    }
  },
);

sippTest("unknown number → 404, wrong passcode → 403, right passcode answered", async () => {
  const ep = startEndpoint();
  ep.onInvite(demoHandler({ pins: { [MEETING]: "4321" } }));
  try {
    let r = await sipp(ep, "reject_404.xml", ["-s", "alice"]);
    assertEquals(r.code, 0, explain(r));
    r = await sipp(ep, "reject_403.xml", ["-s", `${MEETING}*0000`]);
    assertEquals(r.code, 0, explain(r));
    r = await sipp(ep, "call.xml", ["-s", `${MEETING}*4321`]);
    assertEquals(r.code, 0, explain(r));
    await settled(ep);
  } finally {
    await ep.stop();
  }
});

sippTest("late offer: our offer in the 200, the caller's answer from the ACK", async () => {
  const ep = startEndpoint();
  let answer: unknown = undefined;
  let offerWasNull = false;
  ep.onInvite(async (call) => {
    offerWasNull = call.remoteSdp === null;
    call.ringing();
    answer = await call.answer(fixedSdp());
  });
  try {
    const r = await sipp(ep, "late_offer.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
    assert(offerWasNull);
    const sdp = answer as { media: { port: number; rtp: { codec: string }[] }[] } | null;
    assert(sdp, "answer SDP from the ACK");
    assertEquals(sdp.media[0].rtp[0].codec, "PCMU");
    await settled(ep);
  } finally {
    await ep.stop();
  }
});

sippTest("re-INVITE to hold and back, answered through the handler", async () => {
  const ep = startEndpoint();
  const seen: string[] = [];
  ep.onInvite(demoHandler({
    answered: (call: IncomingCall) =>
      call.onReinvite((_sdp, direction) => {
        seen.push(direction);
        return fixedSdp().replace("a=sendrecv", direction === "sendonly" ? "a=recvonly" : "a=sendrecv");
      }),
  }));
  try {
    const r = await sipp(ep, "hold.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
    assertEquals(seen, ["sendonly", "sendrecv"]);
    await settled(ep);
  } finally {
    await ep.stop();
  }
});

sippTest("digest authentication: 401 challenge, then the authenticated INVITE is answered", async () => {
  const ep = startEndpoint({
    access: { trustedSources: ["10.9.9.9"], digest: { realm: "talkspace", users: { trunk1: "s3cret" } } },
  });
  const users: (string | null)[] = [];
  ep.onInvite(demoHandler({ answered: (call) => users.push(call.authenticatedUser) }));
  try {
    const ok = await sipp(ep, "auth.xml", ["-s", MEETING, "-au", "trunk1", "-ap", "s3cret"]);
    assertEquals(ok.code, 0, explain(ok));
    assertEquals(users, ["trunk1"]);
    // The same scenario with a wrong password must fail (we answer 403 instead of 100/200).
    const bad = await sipp(ep, "auth.xml", ["-s", MEETING, "-au", "trunk1", "-ap", "wrong"], 10_000);
    assert(bad.code !== 0, "wrong password must not get through");
    assertEquals(users, ["trunk1"]);
  } finally {
    await ep.stop();
  }
});

sippTest("a source outside the trunk allow-list gets 403", async () => {
  const ep = startEndpoint({ access: { trustedSources: ["10.0.0.0/8"] } });
  ep.onInvite(demoHandler());
  try {
    const r = await sipp(ep, "reject_403.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
  } finally {
    await ep.stop();
  }
  const allowed = startEndpoint({ access: { trustedSources: ["127.0.0.0/8"] } });
  allowed.onInvite(demoHandler());
  try {
    const r = await sipp(allowed, "call.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
  } finally {
    await allowed.stop();
  }
});

sippTest("dial-out to sipp -sn uas: answered, then our BYE", async () => {
  const ep = startEndpoint();
  const port = freePort();
  const uas = spawnSipp(["-sn", "uas", "-m", "1"], 20_000, port);
  try {
    // If sipp is not bound yet, Timer A's retransmissions cover the gap.
    const call = ep.call(`sip:service@127.0.0.1:${port}`, fixedSdp(), {
      from: { user: "meeting", displayName: "Talkspace" },
    });
    const ringing: number[] = [];
    call.onRinging((s) => ringing.push(s));
    const outcome = await call.outcome;
    assertEquals(outcome.kind, "answered");
    assertEquals(ringing, [180]);
    call.hangup();
    const r = await uas.done;
    assertEquals(r.code, 0, explain(r));
    await settled(ep);
  } finally {
    try {
      Deno.kill(uas.pid, "SIGKILL");
    } catch { /* exited */ }
    await uas.done;
    await ep.stop();
  }
});

for (const [scenario, expected] of [["uas_busy.xml", "busy"], ["uas_noanswer.xml", "no-answer"]] as const) {
  sippTest(`dial-out to a sipp callee (${scenario}) → ${expected}`, async () => {
    const ep = startEndpoint();
    const port = freePort();
    const callee = spawnSipp(["-sf", SCENARIOS + scenario, "-m", "1"], 20_000, port);
    try {
      const started = Date.now();
      const call = ep.call(`sip:4155550100@127.0.0.1:${port}`, fixedSdp(), { noAnswerTimeoutMs: 1_000 });
      const outcome = await call.outcome;
      assertEquals(outcome.kind, expected);
      if (expected === "no-answer") {
        assert(Date.now() - started >= 1_000, "the CANCEL came from our own no-answer timeout");
        assertEquals(outcome.status, 487);
      } else {
        assertEquals(outcome.status, 486);
      }
      const r = await callee.done; // sipp saw our ACK (and CANCEL) as its scenario demands
      assertEquals(r.code, 0, explain(r));
      await settled(ep);
    } finally {
      try {
        Deno.kill(callee.pid, "SIGKILL");
      } catch { /* exited */ }
      await callee.done;
      await ep.stop();
    }
  });
}

sippTest("INVITE → 200 latency over 50 sequential sipp calls", async () => {
  const ep = startEndpoint();
  ep.onInvite(demoHandler());
  try {
    const r = await sipp(ep, "call.xml", [
      "-s",
      MEETING,
      "-m",
      "50",
      "-l",
      "1",
      "-r",
      "1000",
      "-trace_rtt",
      "-rtt_freq",
      "1",
    ], 60_000);
    assertEquals(r.code, 0, explain(r));
    const file = [...Deno.readDirSync(r.dir)].find((f) => f.name.endsWith("_rtt.csv"));
    assert(file, "sipp wrote its rtt trace");
    const rows = Deno.readTextFileSync(`${r.dir}/${file.name}`).trim().split("\n").slice(1);
    const ms = rows.map((l) => Number(l.split(";")[1])).filter((n) => Number.isFinite(n)).sort((a, b) => a - b);
    assertEquals(ms.length, 50);
    const median = ms[Math.floor(ms.length / 2)];
    const p95 = ms[Math.ceil(ms.length * 0.95) - 1];
    console.log(
      `INVITE→200 over ${ms.length} calls: median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${
        ms.at(-1)!.toFixed(2)
      } ms`,
    );
    assert(p95 < 200, `p95 ${p95} ms`);
    await settled(ep);
  } finally {
    await ep.stop();
  }
});
