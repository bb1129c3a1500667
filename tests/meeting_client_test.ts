// Unit tests of the in-meeting client's pure logic: roster updates, grid and speaker layout, active
// speaker, the socket client's reconnect/lastId handling and lobby/removal close codes (fake
// WebSocket), stats summaries, device error messages, chat (linkify, history, unread) and the
// moderation reducers (lobby list, hands queue, host mute, settings, reactions).

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
import { translator } from "../lib/i18n/translate.ts";

/** The English messages (what the tests below read). */
const EN = translator("en");
import { CLOSE, MAX_CHAT_CHARS, REACTIONS } from "../lib/contracts/meeting_socket.ts";
import {
  addChat,
  CHAT_KEEP,
  CHAT_MAX_CHARS,
  chatDraftProblem,
  EMPTY_CHAT,
  linkify,
  markChatRead,
} from "../lib/meetings/client/chat.ts";
import type { ChatEntry } from "../lib/meetings/client/chat.ts";
import {
  addReaction,
  applyLobby,
  canUnmute,
  chatAllowed,
  DEFAULT_ROOM_SETTINGS,
  expireReactions,
  handQueue,
  myModeration,
  REACTION_SHOW_MS,
  settingsFrom,
} from "../lib/meetings/client/moderation.ts";
import { REACTION_EMOJI } from "../lib/meetings/client/controller.ts";
import type { MeetingMessage, ParticipantView, WelcomeMessage } from "../lib/contracts/meeting_socket.ts";

const view = (id: string, joinedAt: string, extra: Partial<ParticipantView> = {}): ParticipantView => ({
  participantId: id,
  name: id.toUpperCase(),
  role: "participant",
  state: { audio: true, video: true, screen: false },
  feedId: null,
  joinedAt,
  mutedByHost: false,
  videoStoppedByHost: false,
  handRaisedAt: null,
  ...extra,
});

const welcome = (participants: ParticipantView[], lastId = 3): WelcomeMessage => ({
  type: "welcome",
  participantId: "me",
  you: { name: "Me", role: "participant" },
  meeting: { meetingId: "1234567890", title: "Standup" },
  participants,
  lastId,
  settings: DEFAULT_ROOM_SETTINGS,
  hands: [],
  lobby: null,
  chat: [],
  recording: false,
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
    problemMessage("camera", "denied", EN),
    "Talkspace can't use your camera: allow it in the browser's site settings, then reload.",
  );
  assert.match(problemMessage("microphone", "missing", EN), /No microphone was found/);
  assert.equal(levelFromSamples(new Float32Array(0)), 0);
  assert.equal(levelFromSamples(new Float32Array(64)), 0);
  assert.equal(levelFromSamples(new Float32Array(64).fill(1)), 1);
  assert.ok(Math.abs(levelFromSamples(new Float32Array(64).fill(0.1)) - 0.4) < 1e-6);
});

// ---- running a meeting -------------------------------------------------------------------------

Deno.test("client constants match the protocol's (the client may not import zod)", () => {
  assert.equal(CHAT_MAX_CHARS, MAX_CHAT_CHARS);
  assert.deepEqual([...REACTION_EMOJI], [...REACTIONS]);
  assert.equal(CLOSE_CODES.admitted, CLOSE.admitted);
  assert.equal(CLOSE_CODES.denied, CLOSE.denied);
  assert.equal(CLOSE_CODES.removed, CLOSE.removed);
});

Deno.test("chat linkify: http(s) and www links, trailing punctuation and brackets stay text, nothing else", () => {
  const join = (t: string) => linkify(t).map((p) => p.text).join("");
  const links = (t: string) => linkify(t).filter((p) => "href" in p).map((p) => (p as { href: string }).href);
  for (
    const t of [
      "see https://example.com/a?b=1&c=2#x, then",
      "(https://en.wikipedia.org/wiki/Foo_(bar)) and www.example.org.",
      "<script>alert(1)</script> javascript:alert(1) data:text/html,x",
      "no links here",
      "",
    ]
  ) assert.equal(join(t), t, "the parts give back the text unchanged");
  assert.deepEqual(links("see https://example.com/a?b=1&c=2#x, then"), ["https://example.com/a?b=1&c=2#x"]);
  assert.deepEqual(links("(https://en.wikipedia.org/wiki/Foo_(bar)) and www.example.org."), [
    "https://en.wikipedia.org/wiki/Foo_(bar)",
    "https://www.example.org",
  ]);
  assert.deepEqual(links("<script>alert(1)</script> javascript:alert(1) data:text/html,x"), []);
  assert.deepEqual(links("http://localhost:8000/x and ftp://x.y and https://"), ["http://localhost:8000/x"]);
  assert.deepEqual(links('a "https://x.test/q"'), ["https://x.test/q"]);
  assert.deepEqual(linkify("hi <b>all</b>"), [{ text: "hi <b>all</b>" }], "markup is plain text");
  assert.deepEqual(linkify("go https://a.test!"), [
    { text: "go " },
    { text: "https://a.test", href: "https://a.test" },
    {
      text: "!",
    },
  ]);
});

Deno.test("chat drafts: empty and over 4,000 characters are refused before sending", () => {
  assert.equal(chatDraftProblem("   \n "), "empty");
  assert.equal(chatDraftProblem("x".repeat(4000)), null);
  assert.equal(chatDraftProblem("x".repeat(4001)), "too-long");
});

Deno.test("chat log: history and live merge by id, replays ignored, unread only for others' messages while closed", () => {
  const entry = (id: number, from: string, to: string | null = null): ChatEntry => ({
    id,
    at: "2025-01-01T10:00:00Z",
    from: { participantId: from, name: from.toUpperCase() },
    to: to ? { participantId: to, name: to.toUpperCase() } : null,
    text: `m${id}`,
  });
  let log = addChat(EMPTY_CHAT, [entry(3, "a"), entry(1, "b")], { open: false, mine: "me" });
  assert.deepEqual(log.entries.map((e) => e.id), [1, 3]);
  assert.equal(log.unread, 2);
  const same = addChat(log, [entry(3, "a")], { open: false, mine: "me" });
  assert.equal(same, log, "a replayed message changes nothing");
  log = addChat(log, [entry(5, "me"), entry(4, "a", "me")], { open: false, mine: "me" });
  assert.deepEqual(log.entries.map((e) => e.id), [1, 3, 4, 5]);
  assert.equal(log.unread, 3, "my own message is not unread");
  log = markChatRead(log);
  assert.equal(log.unread, 0);
  assert.equal(markChatRead(log), log);
  log = addChat(log, [entry(6, "b")], { open: true, mine: "me" });
  assert.equal(log.unread, 0, "an open panel reads everything");
  const many = Array.from({ length: CHAT_KEEP + 10 }, (_, i) => entry(100 + i, "a"));
  const big = addChat(log, many, { open: true, mine: "me" });
  assert.equal(big.entries.length, CHAT_KEEP);
  assert.equal(big.entries.at(-1)!.id, 100 + CHAT_KEEP + 9, "the newest are kept");
});

Deno.test("moderation: lobby list follows knocks and departures, hands queue is oldest first", () => {
  const knock = (id: number, admissionId: string, knockedAt: string): MeetingMessage => ({
    id,
    type: "lobby-knock",
    at: "",
    data: { entry: { admissionId, name: admissionId, signedIn: false, knockedAt } },
  });
  let lobby = applyLobby([], knock(1, "b", "2025-01-01T10:00:02Z"));
  lobby = applyLobby(lobby, knock(2, "a", "2025-01-01T10:00:01Z"));
  lobby = applyLobby(lobby, knock(3, "b", "2025-01-01T10:00:02Z")); // knocked again (reopened the page)
  assert.deepEqual(lobby.map((e) => e.admissionId), ["a", "b"]);
  const left = applyLobby(lobby, {
    id: 4,
    type: "lobby-left",
    at: "",
    data: { admissionId: "a", outcome: "admitted" },
  });
  assert.deepEqual(left.map((e) => e.admissionId), ["b"]);
  assert.equal(
    applyLobby(left, { id: 5, type: "lobby-left", at: "", data: { admissionId: "a", outcome: "gone" } }),
    left,
  );

  const roster = rosterFromWelcome(welcome([
    view("a", "2024-01-01T00:00:01Z", { handRaisedAt: "2025-01-01T10:00:05Z" }),
    view("b", "2024-01-01T00:00:02Z"),
    view("c", "2024-01-01T00:00:03Z", { handRaisedAt: "2025-01-01T10:00:01Z" }),
  ]));
  assert.deepEqual(handQueue(roster).map((p) => p.participantId), ["c", "a"]);
});

Deno.test("moderation: what a host did to me, and whether I may unmute", () => {
  const by = { participantId: "h", name: "Hana" };
  const muted = view("me", "2024-01-01T00:00:00Z", {
    mutedByHost: true,
    state: { audio: false, video: true, screen: false },
  });
  const upd = (
    participant: ParticipantView,
    cause?: "muted" | "unmuted" | "role-changed",
    actor = by,
  ): MeetingMessage => ({
    id: 9,
    type: "participant-updated",
    at: "",
    data: { participant, cause, by: cause ? actor : undefined },
  });
  assert.deepEqual(myModeration(upd(muted, "muted"), "me", EN), { mute: true, notice: "Hana muted you", me: muted });
  assert.equal(myModeration(upd(muted, "muted"), "other", EN), null, "someone else's mute is not mine");
  assert.equal(myModeration(upd(muted, "unmuted", { participantId: "me", name: "Me" }), "me", EN)?.notice, undefined);
  assert.equal(
    myModeration(upd({ ...muted, role: "cohost" }, "role-changed"), "me", EN)?.notice,
    "Hana made you a co-host",
  );
  assert.deepEqual(
    myModeration(
      { id: 10, type: "unmute-requested", at: "", data: { participantId: "me", media: "audio", by } },
      "me",
      EN,
    ),
    { askedTo: "audio" },
  );
  const locked = { ...DEFAULT_ROOM_SETTINGS, allowUnmute: false };
  assert.equal(canUnmute(muted, locked, "participant", "audio"), false);
  assert.equal(canUnmute(muted, DEFAULT_ROOM_SETTINGS, "participant", "audio"), true, "allowed to unmute");
  assert.equal(canUnmute(muted, locked, "participant", "video"), true, "only the microphone is held");
  assert.equal(canUnmute(muted, locked, "cohost", "audio"), true, "hosts are never held");
});

Deno.test("moderation: settings, chat policy, reactions expire", () => {
  const s = settingsFrom(DEFAULT_ROOM_SETTINGS, {
    id: 1,
    type: "settings-changed",
    at: "",
    data: {
      settings: { ...DEFAULT_ROOM_SETTINGS, locked: true, chat: "hosts" },
      by: { participantId: "h", name: "H" },
    },
  });
  assert.equal(s.locked, true);
  const host = view("h", "2024-01-01T00:00:00Z", { role: "host" });
  const guest = view("g", "2024-01-01T00:00:00Z", { role: "guest" });
  assert.deepEqual(chatAllowed(s, "participant", host), { ok: true }, "privately to a host is fine");
  assert.equal(chatAllowed(s, "participant", null).ok, false);
  assert.equal(chatAllowed(s, "participant", guest).ok, false);
  assert.equal(chatAllowed({ ...s, chat: "off" }, "participant", host).ok, false);
  assert.equal(chatAllowed({ ...s, chat: "off" }, "cohost", null).ok, true);

  let r = addReaction([], { key: 1, participantId: "a", emoji: "👍" }, 1000);
  r = addReaction(r, { key: 2, participantId: "b", emoji: "🎉" }, 2000);
  assert.equal(expireReactions(r, 2000), r);
  assert.deepEqual(expireReactions(r, 1000 + REACTION_SHOW_MS).map((x) => x.key), [2]);
});

Deno.test({
  name: "socket: lobby status instead of welcome; 4001 admits, 4003 denies, 4004 removes, none reconnect",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const run = (code: number) => {
      const log: string[] = [];
      const sockets: FakeSocket[] = [];
      const client = new MeetingSocket("ws://x/ws", {
        welcome: () => log.push("welcome"),
        message: () => {},
        status: () => {},
        ended: () => log.push("ended"),
        refused: (c) => log.push(`refused ${c}`),
        error: () => {},
        lobby: (m) => log.push(`lobby ${m.status}`),
        admitted: () => log.push("admitted"),
      }, {
        connect: () => {
          const s = new FakeSocket();
          sockets.push(s);
          return s;
        },
        random: () => 0.5,
        pingMs: 60_000,
      });
      client.start();
      sockets[0].open();
      sockets[0].receive({
        type: "lobby",
        status: "waiting",
        meeting: { meetingId: "1", title: "T" },
        name: "G",
        knockedAt: "",
      });
      assert.equal(client.send({ type: "raise-hand" }), false, "a lobby socket sends no actions");
      sockets[0].serverClose(code);
      return { log, sockets };
    };
    const admitted = run(CLOSE.admitted);
    assert.deepEqual(admitted.log, ["lobby waiting", "admitted"]);
    const denied = run(CLOSE.denied);
    assert.deepEqual(denied.log, ["lobby waiting", `refused ${CLOSE.denied}`]);
    const removed = run(CLOSE.removed);
    assert.deepEqual(removed.log, ["lobby waiting", `refused ${CLOSE.removed}`]);
    await tick(700);
    for (const r of [admitted, denied, removed]) assert.equal(r.sockets.length, 1, "no reconnect");

    // After welcome, actions go out as they are; user errors carry their code and action.
    const h = socketHarness();
    h.client.start();
    h.sockets[0].open();
    h.sockets[0].receive(welcome([], 0));
    assert.equal(h.client.send({ type: "chat", text: "hi" }), true);
    assert.deepEqual(h.sockets[0].sent.at(-1), { type: "chat", text: "hi" });
    h.client.close();
  },
});
