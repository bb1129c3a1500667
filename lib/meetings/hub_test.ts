import assert from "node:assert/strict";
import { MeetingHub } from "./hub.ts";
import { admit } from "./join.ts";
import { hashToken } from "../common/ids.ts";
import { createMeeting, getMeetingByNumber } from "./store.ts";
import type { Meeting, MeetingRole } from "./store.ts";
import { getParticipant } from "./participants.ts";
import { setQuiet } from "../common/log.ts";
import { FakeSocket } from "./testing.ts";
import { sendChat } from "./chat.ts";

setQuiet(true);

async function join(hub: MeetingHub, meeting: Meeting, name: string, role: MeetingRole, hello: object = {}) {
  const { token, admission } = await admit(hub.kv, meeting, { userId: null, name, role });
  const socket = new FakeSocket();
  const session = hub.open(meeting, admission, await hashToken(token), socket);
  session.receive(JSON.stringify({ type: "hello", ...hello }));
  const welcome = await socket.message("welcome") as { participantId: string; lastId: number };
  return { socket, session, welcome, token, admission };
}

Deno.test("a participant who does not come back within the grace period leaves; one who does is silent", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, { graceMs: 300 });
  try {
    const meeting = await createMeeting(kv, { hostId: "H", settings: { lobby: false } });
    const host = await join(hub, meeting, "Host", "host");
    const guest = await join(hub, meeting, "Guest", "guest");
    await host.socket.until("guest joined", () => host.socket.sent.some((m) => m.type === "participant-joined"));
    assert.ok((await getMeetingByNumber(kv, meeting.meetingId))!.startedAt, "the first participant starts the meeting");

    // Reconnect within the grace period (the close is followed at once by a new session).
    guest.session.close();
    await hub.idle();
    const againSocket = new FakeSocket();
    const again = hub.open(meeting, guest.admission, await hashToken(guest.token), againSocket);
    again.receive(JSON.stringify({ type: "hello", participantId: guest.welcome.participantId }));
    const rewelcome = await againSocket.message("welcome") as { participantId: string };
    assert.equal(rewelcome.participantId, guest.welcome.participantId);
    const p = await getParticipant(kv, meeting.meetingId, guest.welcome.participantId);
    assert.equal(p!.connected, true);

    // Gone for good: participant-left after the grace period.
    again.close();
    const left = await host.socket.until(
      "participant-left",
      () => host.socket.sent.find((m) => m.type === "participant-left"),
    ) as { data: { participantId: string } };
    assert.equal(left.data.participantId, guest.welcome.participantId);
    assert.equal(host.socket.sent.filter((m) => m.type === "participant-left").length, 1);
    assert.ok((await getParticipant(kv, meeting.meetingId, guest.welcome.participantId))!.leftAt);
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("protocol errors close with 4400, floods with 4429, and user errors apply nothing", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, { maxMessagesPerSecond: 5 });
  try {
    const meeting = await createMeeting(kv, { hostId: "H", settings: { screenShare: "hosts", lobby: false } });
    const guest = await join(hub, meeting, "Guest", "guest");
    guest.session.receive(JSON.stringify({ type: "state", audio: true, video: false, screen: true }));
    const error = await guest.socket.message("error") as { kind: string; message: string; messageKey: string };
    assert.equal(error.kind, "user");
    assert.match(error.message, /Only hosts can share their screen/);
    assert.equal(error.messageKey, "room.refused.screenHosts", "the same message as a key, for the person's language");
    assert.deepEqual((await getParticipant(kv, meeting.meetingId, guest.welcome.participantId))!.state, {
      audio: false,
      video: false,
      screen: false,
    });
    guest.session.receive(JSON.stringify({ type: "state", audio: "loud", video: false, screen: false }));
    await guest.socket.until("close", () => guest.socket.closedWith);
    assert.equal(guest.socket.closedWith!.code, 4400);

    const early = new FakeSocket();
    const { token, admission } = await admit(kv, meeting, { userId: null, name: "E", role: "guest" });
    hub.open(meeting, admission, await hashToken(token), early).receive(JSON.stringify({ type: "ping" }));
    await early.until("close", () => early.closedWith);
    assert.deepEqual(early.closedWith, { code: 4400, reason: "Send hello first" });

    const flood = await join(hub, meeting, "F", "guest");
    for (let i = 0; i < 10; i++) flood.session.receive(JSON.stringify({ type: "ping" }));
    await flood.socket.until("close", () => flood.socket.closedWith);
    assert.equal(flood.socket.closedWith!.code, 4429);
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("the welcome carries the meeting's mute-on-entry setting, so clients join with the microphone off", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv);
  try {
    const muted = await createMeeting(kv, { hostId: "H", settings: { lobby: false, muteOnEntry: true } });
    const open = await createMeeting(kv, { hostId: "H", settings: { lobby: false } });
    const a = await join(hub, muted, "Ann", "guest");
    const b = await join(hub, open, "Ben", "guest");
    assert.equal((a.welcome as unknown as { settings: { muteOnEntry: boolean } }).settings.muteOnEntry, true);
    assert.equal((b.welcome as unknown as { settings: { muteOnEntry: boolean } }).settings.muteOnEntry, false);
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("chat floods: a person over their bucket (across their sockets) is closed 4429; a busy meeting refuses, closes nobody", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, {
    chatPerPerson: { burst: 6, perSecond: 0.001 },
    chatPerMeeting: { burst: 14, perSecond: 0.001 },
  });
  try {
    const meeting = await createMeeting(kv, { hostId: "H", settings: { lobby: false } });
    const watcher = await join(hub, meeting, "Watcher", "guest");
    const chats = () => watcher.socket.sent.filter((m) => m.type === "chat").length;

    // One person, two sockets: the bucket is theirs, not each socket's.
    const one = await join(hub, meeting, "One", "guest");
    const second = new FakeSocket();
    const twin = hub.open(meeting, one.admission, await hashToken(one.token), second);
    twin.receive(JSON.stringify({ type: "hello" }));
    await second.message("welcome");
    for (let i = 0; i < 4; i++) one.session.receive(JSON.stringify({ type: "chat", text: `a${i}` }));
    for (let i = 0; i < 4; i++) twin.receive(JSON.stringify({ type: "chat", text: `b${i}` }));
    await second.until("close", () => second.closedWith);
    assert.equal(second.closedWith!.code, 4429);
    assert.match(second.closedWith!.reason, /too fast/);
    assert.equal(one.socket.closedWith, null, "the socket within the bucket stays");
    await hub.idle();
    await watcher.socket.until("six chats", () => chats() === 6);

    // Everyone together: the meeting's bucket (14, 6 used) lets 8 more through, then refuses.
    const others = await Promise.all(["P", "Q", "R", "S"].map((n) => join(hub, meeting, n, "guest")));
    for (const [k, p] of others.entries()) {
      for (let i = 0; i < 3; i++) p.session.receive(JSON.stringify({ type: "chat", text: `${k}:${i}` }));
    }
    await hub.idle();
    await watcher.socket.until("fourteen chats", () => chats() === 14);
    const refused = others.flatMap((p) => p.socket.sent.filter((m) => m.type === "error" && m.code === "rate-limited"));
    assert.equal(refused.length, 4);
    assert.ok(others.every((p) => p.socket.closedWith === null), "nobody is thrown out for a busy room");
    assert.equal(chats(), 14);
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("messages committed together reach each socket as one frame, in order", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv);
  try {
    const meeting = await createMeeting(kv, { hostId: "H", settings: { lobby: false } });
    const host = await join(hub, meeting, "Host", "host");
    const guest = await join(hub, meeting, "Guest", "guest");
    const from = (await getParticipant(kv, meeting.meetingId, guest.welcome.participantId))!;
    const before = host.socket.frames.length;
    // Sent at the same moment: the first commits alone, the other nine share the next commit.
    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sendChat(kv, meeting.meetingId, from, null, `message ${i}`)),
    );
    const chats = () =>
      host.socket.sent.filter((m) => m.type === "chat") as { id: number; data: { message: { text: string } } }[];
    await host.socket.until("ten chat messages", () => chats().length === 10);
    assert.deepEqual(chats().map((m) => m.id), sent.map((m) => m.id), "in commit order, each once");
    assert.deepEqual(chats().map((m) => m.data.message.text), sent.map((m) => m.text));
    const frames = host.socket.frames.slice(before).filter((f) => f.includes('"type":"chat"'));
    assert.ok(frames.length <= 2, `10 messages from two commits came in ${frames.length} frames`);
    // The shared commit is never split across frames (the feed may also have read both commits at once).
    const chatsIn = (f: string) => f.split("\n").filter((m) => m.includes('"type":"chat"')).length;
    assert.ok(frames.some((f) => chatsIn(f) >= 9), `chats per frame: ${frames.map(chatsIn)}`);
  } finally {
    await hub.close();
    kv.close();
  }
});
