// Unit tests of the in-meeting client's pure logic: roster updates, grid and speaker layout, active
// speaker, the socket client's reconnect/lastId handling (fake WebSocket), stats summaries, and
// device error messages.

import assert from "node:assert/strict";
import { applyMeetingMessage, participantByFeed, rosterFromWelcome } from "../lib/meetings/client/roster.ts";
import {
  allTiles,
  gridDimensions,
  mainTile,
  NO_SPEAKER,
  speakerLayout,
  speakerReducer,
  tileId,
} from "../lib/meetings/client/layout.ts";
import type { StageInput } from "../lib/meetings/client/layout.ts";
import { backoffDelay, CLOSE_CODES, MeetingSocket, socketUrl } from "../lib/meetings/client/socket.ts";
import type { WebSocketLike } from "../lib/meetings/client/socket.ts";
import { summarizeInbound, summarizeOutbound } from "../lib/meetings/client/stats.ts";
import { classifyMediaError, levelFromSamples, problemMessage } from "../lib/meetings/client/devices.ts";
import { CLOSE } from "../lib/meetings/protocol.ts";
import type { MeetingMessage, ParticipantView, WelcomeMessage } from "../lib/meetings/protocol.ts";

const view = (id: string, joinedAt: string, extra: Partial<ParticipantView> = {}): ParticipantView => ({
  participantId: id,
  name: id.toUpperCase(),
  role: "participant",
  state: { audio: true, video: true, screen: false },
  feedId: null,
  joinedAt,
  ...extra,
});

const welcome = (participants: ParticipantView[], lastId = 3): WelcomeMessage => ({
  type: "welcome",
  participantId: "me",
  you: { name: "Me", role: "participant" },
  meeting: { meetingId: "1234567890", title: "Standup" },
  participants,
  lastId,
});

Deno.test("roster: welcome snapshot in join order, idempotent messages, leaving", () => {
  const r0 = rosterFromWelcome(welcome([view("b", "2024-01-01T00:00:02Z"), view("a", "2024-01-01T00:00:01Z")]));
  assert.deepEqual([...r0.keys()], ["a", "b"]);
  const joined: MeetingMessage = {
    id: 4,
    type: "participant-joined",
    at: "",
    data: { participant: view("c", "2024-01-01T00:00:03Z") },
  };
  const r1 = applyMeetingMessage(r0, joined);
  assert.deepEqual([...r1.keys()], ["a", "b", "c"]);
  // A replayed message the snapshot already covers changes nothing (same object).
  assert.equal(applyMeetingMessage(r1, joined), r1);
  const muted = view("c", "2024-01-01T00:00:03Z", { state: { audio: false, video: true, screen: false }, feedId: 7 });
  const r2 = applyMeetingMessage(r1, { id: 5, type: "participant-updated", at: "", data: { participant: muted } });
  assert.equal(r2.get("c")?.state.audio, false);
  assert.equal(participantByFeed(r2, 7)?.participantId, "c");
  const r3 = applyMeetingMessage(r2, {
    id: 6,
    type: "participant-left",
    at: "",
    data: { participantId: "a", name: "A" },
  });
  assert.deepEqual([...r3.keys()], ["b", "c"]);
  assert.equal(
    applyMeetingMessage(r3, { id: 7, type: "participant-left", at: "", data: { participantId: "a", name: "A" } }),
    r3,
  );
});

Deno.test("grid: tiles as large as possible for the window", () => {
  assert.deepEqual(gridDimensions(1, 1600, 900), { cols: 1, rows: 1 });
  assert.deepEqual(gridDimensions(2, 1600, 900), { cols: 2, rows: 1 });
  assert.deepEqual(gridDimensions(4, 1600, 900), { cols: 2, rows: 2 });
  assert.deepEqual(gridDimensions(2, 500, 1000), { cols: 1, rows: 2 }, "a tall window stacks");
  assert.deepEqual(gridDimensions(9, 1600, 900), { cols: 3, rows: 3 });
  assert.deepEqual(gridDimensions(0, 1600, 900), { cols: 1, rows: 1 });
  assert.deepEqual(gridDimensions(5, 0, 0), { cols: 3, rows: 2 }, "unmeasured: square-ish");
});

Deno.test("active speaker: latest to start talking, kept after they stop, handed over", () => {
  let s = speakerReducer(NO_SPEAKER, { type: "talking", participantId: "a" });
  assert.equal(s.dominant, "a");
  s = speakerReducer(s, { type: "talking", participantId: "b" });
  assert.deepEqual(s, { talking: ["a", "b"], dominant: "b" });
  s = speakerReducer(s, { type: "stopped-talking", participantId: "b" });
  assert.deepEqual(s, { talking: ["a"], dominant: "a" }, "someone still talking takes over");
  s = speakerReducer(s, { type: "stopped-talking", participantId: "a" });
  assert.deepEqual(s, { talking: [], dominant: "a" }, "the last speaker stays on stage");
  assert.equal(speakerReducer(s, { type: "stopped-talking", participantId: "a" }), s);
  s = speakerReducer(s, { type: "left", participantId: "a" });
  assert.equal(s.dominant, null);
});

Deno.test("speaker view: pinned, then screen share, then the dominant speaker other than me", () => {
  const base: StageInput = {
    participants: ["me", "a", "b"],
    me: "me",
    screens: [],
    pinned: null,
    speaker: NO_SPEAKER,
  };
  assert.deepEqual(mainTile(base), { participantId: "a", source: "camera" }, "first other participant");
  assert.deepEqual(mainTile({ ...base, speaker: { talking: ["b"], dominant: "b" } }), {
    participantId: "b",
    source: "camera",
  });
  assert.deepEqual(
    mainTile({ ...base, speaker: { talking: ["me"], dominant: "me" } }),
    { participantId: "a", source: "camera" },
    "I never take the stage from others because I talk",
  );
  const sharing = { ...base, screens: ["a"], speaker: { talking: ["b"], dominant: "b" } };
  assert.deepEqual(mainTile(sharing), { participantId: "a", source: "screen" });
  const pinned = { ...sharing, pinned: { participantId: "b", source: "camera" as const } };
  assert.deepEqual(mainTile(pinned), { participantId: "b", source: "camera" });
  // A pinned participant who left no longer holds the stage.
  assert.deepEqual(mainTile({ ...pinned, participants: ["me", "a"] }), { participantId: "a", source: "screen" });
  assert.deepEqual(mainTile({ ...base, participants: ["me"] }), { participantId: "me", source: "camera" });

  assert.deepEqual(allTiles(sharing).map(tileId), ["a:screen", "me:camera", "a:camera", "b:camera"]);
  const { main, strip } = speakerLayout(sharing);
  assert.equal(tileId(main!), "a:screen");
  assert.deepEqual(strip.map(tileId), ["me:camera", "a:camera", "b:camera"]);
});

Deno.test("backoff: doubles from 0.5 s to a 10 s cap, with jitter", () => {
  assert.equal(backoffDelay(0, () => 0.5), 500);
  assert.equal(backoffDelay(1, () => 0.5), 1000);
  assert.equal(backoffDelay(3, () => 0.5), 4000);
  assert.equal(backoffDelay(20, () => 0.5), 10_000);
  assert.equal(backoffDelay(0, () => 0), 400);
  assert.equal(backoffDelay(0, () => 1), 600);
});

Deno.test("socket close codes match the server's", () => {
  assert.equal(CLOSE_CODES.meetingEnded, CLOSE.meetingEnded);
  assert.equal(CLOSE_CODES.notAdmitted, CLOSE.notAdmitted);
  assert.equal(CLOSE_CODES.protocolError, CLOSE.protocolError);
  assert.equal(socketUrl("/meetings/1/ws", { protocol: "https:", host: "x.test" }), "wss://x.test/meetings/1/ws");
  assert.equal(socketUrl("/meetings/1/ws", { protocol: "http:", host: "x:8000" }), "ws://x:8000/meetings/1/ws");
});

class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  closed: { code?: number; reason?: string } | null = null;
  onopen: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  receive(msg: unknown) {
    this.onmessage?.(new MessageEvent("message", { data: JSON.stringify(msg) }));
  }
  serverClose(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }
}

function socketHarness() {
  const sockets: FakeSocket[] = [];
  const log: string[] = [];
  const messages: number[] = [];
  const client = new MeetingSocket("ws://x/ws", {
    welcome: (w, re) => log.push(`welcome ${w.participantId} ${re ? "again" : "first"}`),
    message: (m) => messages.push(m.id),
    status: (s) => log.push(`status ${s}`),
    ended: (r) => log.push(`ended ${r}`),
    refused: (c) => log.push(`refused ${c}`),
    error: (k, m) => log.push(`error ${k} ${m}`),
  }, {
    connect: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    random: () => 0.5,
    pingMs: 60_000,
  });
  return { client, sockets, log, messages };
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "socket: hello, dedupes replays, reconnects with participantId and lastId, resends state",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const { client, sockets, log, messages } = socketHarness();
    client.start();
    sockets[0].open();
    assert.deepEqual(sockets[0].sent, [{ type: "hello" }]);
    sockets[0].receive(welcome([view("me", "2024-01-01T00:00:00Z")], 3));
    client.sendState({ audio: false, video: true, screen: false, feedId: 5 });
    assert.deepEqual(sockets[0].sent[1], { type: "state", audio: false, video: true, screen: false, feedId: 5 });
    const msg = (id: number) => ({ id, type: "participant-left", at: "", data: { participantId: "x", name: "X" } });
    sockets[0].receive(msg(3)); // already covered by the welcome
    sockets[0].receive(msg(4));
    sockets[0].receive(msg(4)); // replayed
    assert.deepEqual(messages, [4]);

    sockets[0].serverClose(1006);
    assert.equal(client.status, "reconnecting");
    await tick(600); // first backoff is 500 ms with random() = 0.5
    assert.equal(sockets.length, 2);
    sockets[1].open();
    assert.deepEqual(sockets[1].sent[0], { type: "hello", participantId: "me", lastId: 4 });
    sockets[1].receive(welcome([], 4));
    assert.deepEqual(sockets[1].sent[1], { type: "state", audio: false, video: true, screen: false, feedId: 5 });
    sockets[1].receive(msg(5));
    assert.deepEqual(messages, [4, 5]);
    assert.deepEqual(log, [
      "status open",
      "welcome me first",
      "status reconnecting",
      "status open",
      "welcome me again",
    ]);

    // drop() (the test hook) behaves like a network failure.
    client.drop();
    assert.equal(sockets[1].closed?.code, 4001);
    await tick(600);
    assert.equal(sockets.length, 3);
    client.close();
    assert.equal(client.status, "closed");
  },
});

Deno.test({
  name: "socket: meeting-ended and close 4000 end it; 4403 refuses; neither reconnects",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const a = socketHarness();
    a.client.start();
    a.sockets[0].open();
    a.sockets[0].receive(welcome([], 0));
    a.sockets[0].receive({ id: 1, type: "meeting-ended", at: "", data: { reason: "The host ended the meeting" } });
    assert.ok(a.log.includes("ended The host ended the meeting"));
    a.sockets[0].serverClose(4000, "The host ended the meeting");
    assert.equal(a.log.filter((l) => l.startsWith("ended")).length, 1, "ended only once");

    const b = socketHarness();
    b.client.start();
    b.sockets[0].open();
    b.sockets[0].serverClose(4000, "The meeting has ended");
    assert.ok(b.log.includes("ended The meeting has ended"));

    const c = socketHarness();
    c.client.start();
    c.sockets[0].open();
    c.sockets[0].serverClose(CLOSE.notAdmitted, "no");
    assert.ok(c.log.includes(`refused ${CLOSE.notAdmitted}`));
    await tick(700);
    for (const h of [a, b, c]) assert.equal(h.sockets.length, 1, "no reconnect");
  },
});

Deno.test("stats: inbound per participant by mid, outbound summed over simulcast layers", () => {
  const mids = new Map([
    ["0", { participantId: "a", feedId: 1, source: "audio" as const }],
    ["1", { participantId: "a", feedId: 1, source: "camera" as const }],
    ["2", { participantId: "b", feedId: 2, source: "camera" as const }],
    ["3", { participantId: "b", feedId: 2, source: "screen" as const }],
  ]);
  const inbound = summarizeInbound(
    [
      {
        type: "inbound-rtp",
        id: "i0",
        kind: "audio",
        mid: "0",
        bytesReceived: 100,
        packetsReceived: 5,
        audioLevel: 0.2,
      },
      { type: "inbound-rtp", id: "i1", kind: "video", mid: "1", bytesReceived: 1000, framesDecoded: 30 },
      { type: "inbound-rtp", id: "i2", kind: "video", trackIdentifier: "t2", bytesReceived: 500, framesDecoded: 10 },
      { type: "inbound-rtp", id: "i3", kind: "video", mid: "3", bytesReceived: 700, framesDecoded: 5 },
      { type: "inbound-rtp", id: "i9", kind: "video", mid: "9", bytesReceived: 1 },
      { type: "codec", id: "c" },
    ],
    mids,
    new Map([["t2", "2"]]),
  );
  assert.deepEqual(inbound.a, {
    audioBytes: 100,
    audioPackets: 5,
    audioLevel: 0.2,
    videoBytes: 1000,
    framesDecoded: 30,
    screenBytes: 0,
    screenFramesDecoded: 0,
  });
  assert.equal(inbound.b.framesDecoded, 10);
  assert.equal(inbound.b.screenFramesDecoded, 5);
  assert.equal(Object.keys(inbound).length, 2);

  const { outbound, rttMs } = summarizeOutbound([
    { type: "outbound-rtp", id: "o0", kind: "audio", mid: "0", bytesSent: 10 },
    { type: "outbound-rtp", id: "o1", kind: "video", mid: "1", rid: "h", bytesSent: 300, framesEncoded: 3 },
    { type: "outbound-rtp", id: "o2", kind: "video", mid: "1", rid: "l", bytesSent: 100, framesEncoded: 3 },
    { type: "outbound-rtp", id: "o3", kind: "video", mid: "2", bytesSent: 50, framesEncoded: 1 },
    { type: "candidate-pair", id: "p", nominated: true, currentRoundTripTime: 0.012 },
  ], new Map([["0", "audio"], ["1", "camera"], ["2", "screen"]]));
  assert.deepEqual(outbound, {
    audioBytes: 10,
    videoBytes: 400,
    framesEncoded: 6,
    screenBytes: 50,
    screenFramesEncoded: 1,
  });
  assert.equal(rttMs, 12);
});

Deno.test("devices: errors become messages a person can act on", () => {
  assert.equal(classifyMediaError(new DOMException("x", "NotAllowedError")), "denied");
  assert.equal(classifyMediaError(new DOMException("x", "NotFoundError")), "missing");
  assert.equal(classifyMediaError(new DOMException("x", "NotReadableError")), "busy");
  assert.equal(classifyMediaError(new TypeError("x")), "unsupported");
  assert.equal(classifyMediaError("weird"), "failed");
  assert.equal(
    problemMessage("camera", "denied"),
    "Talkspace can't use your camera: allow it in the browser's site settings, then reload.",
  );
  assert.match(problemMessage("microphone", "missing"), /No microphone was found/);
  assert.equal(levelFromSamples(new Float32Array(0)), 0);
  assert.equal(levelFromSamples(new Float32Array(64)), 0);
  assert.equal(levelFromSamples(new Float32Array(64).fill(1)), 1);
  assert.ok(Math.abs(levelFromSamples(new Float32Array(64).fill(0.1)) - 0.4) < 1e-6);
});
