// What sipp cannot express: malformed input over UDP and TCP, retransmitted requests, a caller that
// never ACKs, and precise INVITE→200 timing, all with a hand-made peer on loopback.

import { demoHandler, fixedSdp } from "../../gateway/sip/main_test_server.ts";
import { parseMessage, type SipRequest, type SipResponse } from "../../gateway/sip/message.ts";
import type { SipEndpoint } from "../../gateway/sip/endpoint.ts";
import {
  assert,
  assertEquals,
  explain,
  RawUdp,
  settled,
  sipp,
  sipText,
  startEndpoint,
  tcpExchange,
  waitFor,
} from "./support.ts";

const MEETING = "1234567890";
let seq = 0;

function invite(port: number, ep: SipEndpoint, callId: string, opts: { branch?: string; sdp?: boolean } = {}) {
  const body = opts.sdp === false ? "" : fixedSdp("127.0.0.1", 30000);
  return sipText([
    `INVITE sip:${MEETING}@127.0.0.1:${ep.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${opts.branch ?? "z9hG4bK" + (++seq)};rport`,
    `From: "Raw" <sip:raw@127.0.0.1:${port}>;tag=rt${seq}`,
    `To: <sip:${MEETING}@127.0.0.1:${ep.port}>`,
    `Call-ID: ${callId}`,
    "CSeq: 1 INVITE",
    `Contact: <sip:raw@127.0.0.1:${port}>`,
    "Max-Forwards: 70",
    ...(body ? ["Content-Type: application/sdp"] : []),
  ], body);
}

function inDialog(
  method: string,
  port: number,
  ep: SipEndpoint,
  inv: string,
  res: SipResponse,
  cseq: number,
  branch: string,
) {
  const from = /^From: (.*)$/m.exec(inv)![1];
  return sipText([
    `${method} sip:${MEETING}@127.0.0.1:${ep.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch}`,
    `From: ${from}`,
    `To: ${res.getHeader("to")}`,
    `Call-ID: ${res.callId}`,
    `CSeq: ${cseq} ${method}`,
    "Max-Forwards: 70",
  ]);
}

function responseTo(req: SipRequest, status: number): string {
  return sipText([
    `SIP/2.0 ${status} OK`,
    ...req.getHeaders("via").map((v) => `Via: ${v}`),
    `From: ${req.getHeader("from")}`,
    `To: ${req.getHeader("to")}`,
    `Call-ID: ${req.callId}`,
    `CSeq: ${req.getHeader("cseq")}`,
  ]);
}

Deno.test("a retransmitted INVITE gets the cached response (180, then 486), and ACK ends it", async () => {
  const ep = startEndpoint();
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  let offered = 0;
  ep.onInvite(async (call) => {
    offered++;
    call.ringing();
    await released;
    call.reject(486);
  });
  const peer = new RawUdp(ep.port);
  try {
    const text = invite(peer.port, ep, "retrans-1", { branch: "z9hG4bKretrans1" });
    await peer.send(text);
    await waitFor("180", () => peer.responses("retrans-1").some((r) => r.statusCode === 180));
    await peer.send(text);
    await waitFor(
      "second 180 from the cache",
      () => peer.responses("retrans-1").filter((r) => r.statusCode === 180).length === 2,
    );
    release();
    await waitFor("486", () => peer.responses("retrans-1").some((r) => r.statusCode === 486));
    await peer.send(text);
    // Timer G also retransmits the 486; the cached answer to our INVITE adds one more.
    await waitFor("cached 486", () => peer.responses("retrans-1").filter((r) => r.statusCode === 486).length >= 2);
    assertEquals(offered, 1, "the handler saw the call once");
    const res486 = peer.responses("retrans-1").find((r) => r.statusCode === 486)!;
    await peer.send(inDialog("ACK", peer.port, ep, text, res486, 1, "z9hG4bKretrans1"));
    await settled(ep, 3_000);
  } finally {
    await peer.close();
    await ep.stop();
  }
});

Deno.test("a caller that never ACKs: our 200 is retransmitted, then BYE, and everything returns to zero", async () => {
  const ep = startEndpoint();
  const ended: string[] = [];
  let answerError = "";
  ep.onInvite(async (call) => {
    call.on("ended", (r) => ended.push(r));
    await call.answer(fixedSdp()).catch((e) => answerError = String(e));
  });
  const peer = new RawUdp(ep.port);
  try {
    const started = Date.now();
    await peer.send(invite(peer.port, ep, "noack-1"));
    const bye = await waitFor(
      "our BYE",
      () =>
        peer.messages.find((m): m is SipRequest =>
          "method" in m && m.method === "BYE" && !("statusCode" in m && m.statusCode)
        ),
      10_000,
    );
    const elapsed = Date.now() - started;
    await peer.send(responseTo(bye, 200));
    const oks = peer.responses("noack-1").filter((r) => r.statusCode === 200).length;
    console.log(`200 sent ${oks} times before giving up after ${elapsed} ms (64*T1 = ${64 * 50} ms)`);
    assert(oks >= 8, `expected ≥8 transmissions of the 200 with T1=50/T2=400, got ${oks}`);
    assert(elapsed >= 64 * 50, `gave up after ${elapsed} ms`);
    assertEquals(ended, ["timeout"]);
    assert(answerError.includes("no ACK"));
    const s = await settled(ep, 5_000);
    assertEquals(s.dialogs, 0);
  } finally {
    await peer.close();
    await ep.stop();
  }
});

type Expect = number | "drop" | "close";
interface Case {
  name: string;
  marker: string;
  bytes: Uint8Array;
  udp: Expect;
  tcp: Expect;
}

const MAX = 8192;

function malformedCases(ep: SipEndpoint, port: number): Case[] {
  const cases: Case[] = [];
  const enc = (s: string) => new TextEncoder().encode(s);
  for (let v = 0; v < 5; v++) {
    // A fresh marker per case in Call-ID, From tag and branch: a response echoing any of them is this case's.
    let id = "";
    const base = (method = "OPTIONS"): string[] => {
      id = `bad${v}x${crypto.randomUUID().slice(0, 8)}`;
      return baseLines(method);
    };
    const baseLines = (method: string) => [
      `${method} sip:${MEETING}@127.0.0.1:${ep.port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK${id}`,
      `From: <sip:fuzz@127.0.0.1>;tag=${id}`,
      `To: <sip:${MEETING}@127.0.0.1>`,
      `Call-ID: ${id}`,
      `CSeq: ${v + 1} ${method}`,
      "Max-Forwards: 70",
    ];
    const without = (prefix: string) => base().filter((l) => !l.startsWith(prefix));
    const add = (name: string, text: string | Uint8Array, udp: Expect, tcp: Expect = udp) =>
      cases.push({ name: `${name} #${v}`, marker: id, bytes: typeof text === "string" ? enc(text) : text, udp, tcp });
    add("missing Via", sipText(without("Via")), 400);
    add("missing From", sipText(without("From")), 400);
    add("missing To", sipText(without("To")), 400);
    add("missing Call-ID", sipText(without("Call-ID")), 400);
    add("missing CSeq", sipText(without("CSeq")), 400);
    add("huge Content-Length", sipText([...base(), `Content-Length: ${99_999_999 - v}`], "x"), 400, "close");
    add("negative Content-Length", sipText([...base(), `Content-Length: -${v + 1}`]), 400, "close");
    // On a stream the rest of that body may still come: at EOF the fragment is discarded unanswered.
    add("Content-Length beyond the body", sipText([...base(), "Content-Length: 50"], "short"), 400, "drop");
    add("garbage start line", sipText(["HELLO WORLD " + v, ...base().slice(1)]), "drop");
    add("binary junk", crypto.getRandomValues(new Uint8Array(64 + v * 100)).map((b) => b === 13 ? 0 : b), "drop");
    add("Max-Forwards 0", sipText(base().map((l) => l.startsWith("Max-Forwards") ? "Max-Forwards: 0" : l)), 483);
    add("unknown method", sipText(base("FROB" + v)), 405);
    add("unsupported Require", sipText([...base(), `Require: talkspace-ext${v}`]), 420);
    add("INVITE with text/plain", sipText([...base("INVITE"), "Content-Type: text/plain"], "hello"), 415);
    add(
      "INVITE with bad SDP",
      sipText([...base("INVITE"), "Content-Type: application/sdp"], `v=0\r\nm=audio x\r\n`),
      488,
    );
    add("oversized", sipText([...base(), `X-Pad: ${"a".repeat(MAX * 2 + v)}`]), "drop", "close");
    add("CSeq method mismatch", sipText(base().map((l) => l.startsWith("CSeq") ? "CSeq: 1 INVITE" : l)), 400);
    add("unparseable From", sipText(base().map((l) => l.startsWith("From") ? "From: <<<@@" : l)), 400);
    add("ACK without Call-ID", sipText(without("Call-ID").map((l) => l.replace(/OPTIONS/g, "ACK"))), "drop");
    add("headerless response", "SIP/2.0 200 OK\r\n\r\n", "drop");
  }
  return cases;
}

/** The status of the first response (raw text, since lenient 400s may lack the headers our parser wants). */
function summary(raws: string[]): Expect {
  const m = raws.length ? /^SIP\/2\.0 (\d{3}) /.exec(raws[0]) : null;
  return m ? Number(m[1]) : "drop";
}

async function probe(peer: RawUdp, ep: SipEndpoint, n: number): Promise<void> {
  const id = `probe-${n}`;
  await peer.send(sipText([
    `OPTIONS sip:${MEETING}@127.0.0.1:${ep.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKprobe${n}`,
    `From: <sip:probe@127.0.0.1>;tag=p${n}`,
    `To: <sip:${MEETING}@127.0.0.1>`,
    `Call-ID: ${id}`,
    "CSeq: 1 OPTIONS",
  ]));
  await waitFor(`probe ${n}`, () => peer.responses(id).length > 0, 3_000);
}

Deno.test("200 malformed messages over UDP and TCP: right 4xx or dropped, no crash, then a real call works", async () => {
  const ep = startEndpoint({ maxMessageBytes: MAX });
  ep.onInvite(demoHandler());
  const peer = new RawUdp(ep.port);
  const mismatches: string[] = [];
  let udpCount = 0, tcpCount = 0;
  try {
    const cases = malformedCases(ep, peer.port);
    for (const [i, c] of cases.entries()) {
      await peer.send(c.bytes);
      await probe(peer, ep, i);
      const got = summary(peer.raw.filter((t) => t.includes(c.marker)));
      udpCount++;
      if (got !== c.udp) mismatches.push(`UDP ${c.name}: expected ${c.udp}, got ${got}`);
    }
    // Fresh markers for TCP: the UDP copies' server transactions (same branch) would still absorb them.
    for (const c of malformedCases(ep, peer.port)) {
      const { raws, closedByServer } = await tcpExchange(ep.port, c.bytes, c.tcp !== "close");
      const got: Expect = closedByServer && raws.length === 0 ? "close" : summary(raws);
      const responses = raws.map((t) => parseMessage(new TextEncoder().encode(t)))
        .flatMap((p) => p.kind === "response" ? [p.response] : []);
      tcpCount++;
      if (got !== c.tcp) mismatches.push(`TCP ${c.name}: expected ${c.tcp}, got ${got}`);
      if (got === 405) assert(responses[0].getHeader("allow")?.includes("INVITE"), "405 carries Allow");
      if (got === 420) assert(responses[0].getHeader("unsupported")?.startsWith("talkspace-ext"), "420 names the tag");
      if (got === 415) assertEquals(responses[0].getHeader("accept"), "application/sdp");
    }
    assertEquals(mismatches, []);
    assertEquals(udpCount + tcpCount, 200);
    console.log(
      `malformed: ${udpCount} over UDP, ${tcpCount} over TCP; endpoint counters ${JSON.stringify(ep.counters)}`,
    );
    const r = await sipp(ep, "call.xml", ["-s", MEETING]);
    assertEquals(r.code, 0, explain(r));
    await settled(ep, 10_000);
  } finally {
    await peer.close();
    await ep.stop();
  }
});

Deno.test("INVITE → 200 latency, 50 sequential calls timed by a raw client", async () => {
  const ep = startEndpoint();
  ep.onInvite(demoHandler());
  const peer = new RawUdp(ep.port);
  const times: number[] = [];
  try {
    for (let i = 0; i < 50; i++) {
      const id = `lat-${i}`;
      const text = invite(peer.port, ep, id);
      const t0 = performance.now();
      await peer.send(text);
      const ok = await peer.next("200", () => peer.responses(id).find((r) => r.statusCode === 200));
      times.push(performance.now() - t0);
      await peer.send(inDialog("ACK", peer.port, ep, text, ok, 1, "z9hG4bKack" + i));
      await peer.send(inDialog("BYE", peer.port, ep, text, ok, 2, "z9hG4bKbye" + i));
      await waitFor("BYE 200", () => peer.responses(id).some((r) => r.method === "BYE" && r.statusCode === 200), 3_000);
    }
    times.sort((a, b) => a - b);
    const median = times[25], p95 = times[47];
    console.log(
      `raw client INVITE→200: median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${times[49].toFixed(2)} ms`,
    );
    assert(p95 < 100, `p95 ${p95} ms`);
    await settled(ep);
  } finally {
    await peer.close();
    await ep.stop();
  }
});
