// Host controls through the real hub over an in-memory KV: every host action from every role
// (table-driven), lobby decisions, moderation against unmuting, hands, reactions and chat rules.

import type { Store } from "../common/store.ts";
import assert from "node:assert/strict";
import { MeetingHub } from "./hub.ts";
import { admit } from "./join.ts";
import type { Admission } from "./join.ts";
import { hashToken } from "../common/ids.ts";
import { createMeeting, getMeetingByNumber } from "./store.ts";
import type { Meeting, MeetingRole } from "./store.ts";
import { changeParticipant, getParticipant } from "./participants.ts";
import { HOST_ACTIONS } from "../contracts/meeting_socket.ts";
import { startCall } from "../telephony/phone.ts";
import type { PhoneCall } from "../telephony/phone.ts";
import type { MediaGateway } from "../contracts/gateway_api.ts";
import { setQuiet } from "../common/log.ts";
import { FakeSocket } from "./testing.ts";
import { admissionKeys } from "./keys.ts";
import { english, readMessage } from "../i18n/message.ts";
import { CATALOGS, isMessageKey, ROOM_PREFIXES } from "../i18n/translate.ts";
import { LOCALES } from "../i18n/locales.ts";

setQuiet(true);

interface Member {
  socket: FakeSocket;
  participantId: string;
  admission: Admission;
  tokenHash: string;
  send(msg: object): void;
}

async function join(hub: MeetingHub, meeting: Meeting, name: string, role: MeetingRole, userId: string | null) {
  const { token, admission } = await admit(hub.kv, meeting, { userId, name, role, ip: `10.0.0.${name.length}` });
  const socket = new FakeSocket();
  const tokenHash = await hashToken(token);
  const session = hub.open(meeting, admission, tokenHash, socket);
  session.receive(JSON.stringify({ type: "hello" }));
  const first = await socket.until(
    "welcome or lobby",
    () => socket.sent.find((m) => m.type === "welcome" || m.type === "lobby"),
  );
  return {
    socket,
    participantId: String(first.participantId ?? ""),
    admission,
    tokenHash,
    send: (msg: object) => session.receive(JSON.stringify(msg)),
  } satisfies Member;
}

/** A meeting with a host, co-host, participant, guest, a signed-in target with a raised hand, and one person waiting. */
async function setup(hub: MeetingHub) {
  const meeting = await createMeeting(hub.kv, { hostId: "uH", settings: { lobby: false } });
  const members = {
    host: await join(hub, meeting, "Hana", "host", "uH"),
    cohost: await join(hub, meeting, "Cora", "cohost", "uC"),
    participant: await join(hub, meeting, "Pete", "participant", "uP"),
    guest: await join(hub, meeting, "Gus", "guest", null),
  };
  const target = await join(hub, meeting, "Tara", "participant", "uT");
  target.send({ type: "raise-hand" });
  await target.socket.until(
    "hand",
    async () => (await getParticipant(hub.kv, meeting.meetingId, target.participantId))?.handRaisedAt,
  );
  const waiting = await join(hub, { ...meeting, settings: { ...meeting.settings, lobby: true } }, "Wes", "guest", null);
  assert.equal(waiting.admission.state, "waiting");
  // A caller on the phone, muted by a host.
  const call = await startCall(hub.kv, null, {
    meetingId: meeting.meetingId,
    callId: `call-${crypto.randomUUID()}`,
    displayName: "Phil",
    number: "•••• 1234",
  });
  const caller = { participantId: String(call.body!.participantId) };
  await changeParticipant(hub.kv, meeting.meetingId, caller.participantId, (p) => ({
    next: { ...p!, mutedByHost: true, state: { ...p!.state, audio: false } },
  }));
  return { meeting, members, target, waiting, caller };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/**
 * A user error says its message as a key the meeting island's catalog has (room.*), in every
 * language (German and Arabic differ from English), and `message` is that key's English.
 */
function assertSaid(err: Record<string, unknown>, what: string) {
  const said = readMessage(String(err.messageKey ?? ""));
  assert.ok(said, `${what}: no messageKey (${JSON.stringify(err)})`);
  assert.ok(ROOM_PREFIXES.some((p) => said.key.startsWith(p)), `${what}: ${said.key} is not in the island's catalog`);
  for (const l of LOCALES) assert.ok(CATALOGS[l][said.key], `${what}: ${said.key} missing in ${l}`);
  assert.notEqual(CATALOGS.de[said.key], CATALOGS.en[said.key], `${what}: ${said.key} is English in German`);
  assert.notEqual(CATALOGS.ar[said.key], CATALOGS.en[said.key], `${what}: ${said.key} is English in Arabic`);
  assert.equal(err.message, english(String(err.messageKey)), `${what}: message is the key's English`);
  return said.key;
}

/** Each host action: the message (from a setup) and whether it took effect. */
const ACTIONS: Record<string, { msg: (s: Setup) => object; applied: (kv: Store, s: Setup) => Promise<boolean> }> = {
  "lobby-admit": {
    msg: (s) => ({ type: "lobby-admit", admissionId: s.waiting.admission.id }),
    applied: async (kv, s) => (await admissionOf(kv, s)).state === "admitted",
  },
  "lobby-deny": {
    msg: (s) => ({ type: "lobby-deny", admissionId: s.waiting.admission.id }),
    applied: async (kv, s) => (await admissionOf(kv, s)).state === "denied",
  },
  "lobby-admit-all": {
    msg: () => ({ type: "lobby-admit-all" }),
    applied: async (kv, s) => (await admissionOf(kv, s)).state === "admitted",
  },
  "lobby-deny-all": {
    msg: () => ({ type: "lobby-deny-all" }),
    applied: async (kv, s) => (await admissionOf(kv, s)).state === "denied",
  },
  "end-meeting": {
    msg: () => ({ type: "end-meeting" }),
    applied: async (kv, s) => (await getMeetingByNumber(kv, s.meeting.meetingId))!.status === "ended",
  },
  "mute": {
    msg: (s) => ({ type: "mute", participantId: s.target.participantId }),
    applied: async (kv, s) => (await targetOf(kv, s)).mutedByHost === true,
  },
  "mute-all": {
    msg: () => ({ type: "mute-all", allowUnmute: false }),
    applied: async (kv, s) => (await targetOf(kv, s)).mutedByHost === true,
  },
  "ask-unmute": {
    msg: (s) => ({ type: "ask-unmute", participantId: s.target.participantId }),
    applied: async (kv, s) => (await targetOf(kv, s)).unmuteRequested?.audio === true,
  },
  "stop-video": {
    msg: (s) => ({ type: "stop-video", participantId: s.target.participantId }),
    applied: async (kv, s) => (await targetOf(kv, s)).videoStoppedByHost === true,
  },
  "remove": {
    msg: (s) => ({ type: "remove", participantId: s.target.participantId }),
    applied: async (kv, s) => (await targetOf(kv, s)).leftAt !== null,
  },
  "set-role": {
    msg: (s) => ({ type: "set-role", participantId: s.target.participantId, role: "cohost" }),
    applied: async (kv, s) => (await targetOf(kv, s)).role === "cohost",
  },
  "transfer-host": {
    msg: (s) => ({ type: "transfer-host", participantId: s.target.participantId }),
    applied: async (kv, s) => (await getMeetingByNumber(kv, s.meeting.meetingId))!.hostId === "uT",
  },
  "settings": {
    msg: () => ({ type: "settings", locked: true }),
    applied: async (kv, s) => (await getMeetingByNumber(kv, s.meeting.meetingId))!.settings.locked,
  },
  "lower-all-hands": {
    msg: () => ({ type: "lower-all-hands" }),
    applied: async (kv, s) => !(await targetOf(kv, s)).handRaisedAt,
  },
  "unmute": {
    msg: (s) => ({ type: "unmute", participantId: s.caller.participantId }),
    applied: async (kv, s) => !(await getParticipant(kv, s.meeting.meetingId, s.caller.participantId))!.mutedByHost,
  },
  "dial-out": {
    msg: () => ({ type: "dial-out", target: "+4930123456789", name: "Dora" }),
    applied: async (kv, s) => {
      for await (const e of kv.list<PhoneCall>({ prefix: ["sip_calls"] })) {
        if (e.value.meetingId === s.meeting.meetingId && e.value.direction === "out") return true;
      }
      return false;
    },
  },
  // Not host-only as a type, but host-only on someone else:
  "rename": {
    msg: (s) => ({ type: "rename", participantId: s.target.participantId, name: "Renamed" }),
    applied: async (kv, s) => (await targetOf(kv, s)).name === "Renamed",
  },
  "lower-hand": {
    msg: (s) => ({ type: "lower-hand", participantId: s.target.participantId }),
    applied: async (kv, s) => !(await targetOf(kv, s)).handRaisedAt,
  },
};

async function admissionOf(kv: Store, s: Setup) {
  return (await kv.get<Admission>(admissionKeys.admission(s.meeting.meetingId, s.waiting.tokenHash))).value!;
}
async function targetOf(kv: Store, s: Setup) {
  return (await getParticipant(kv, s.meeting.meetingId, s.target.participantId))!;
}

const HOST_ONLY = new Set(["set-role", "transfer-host"]);

/** A gateway that accepts everything (dial-out answers a fresh callId); the server-side checks are under test. */
function acceptingGateway(): MediaGateway {
  let n = 0;
  return new Proxy({}, {
    get: (_t, name) => name === "dialOut" ? () => Promise.resolve({ callId: `out-${++n}` }) : () => Promise.resolve(),
  }) as MediaGateway;
}

for (const role of ["host", "cohost", "participant", "guest"] as const) {
  Deno.test(`host actions sent by a ${role} are ${role === "participant" || role === "guest" ? "refused" : "checked"}`, async () => {
    const kv = await Deno.openKv(":memory:");
    const hub = new MeetingHub(kv, { graceMs: 60_000, gateway: acceptingGateway() });
    try {
      for (const [action, spec] of Object.entries(ACTIONS)) {
        const s = await setup(hub);
        const sender = s.members[role];
        const from = sender.socket.sent.length;
        const allowed = role === "host" || (role === "cohost" && !HOST_ONLY.has(action));
        sender.send(spec.msg(s));
        if (allowed) {
          await sender.socket.until(`${action} applied`, async () => await spec.applied(kv, s));
          assert.equal(sender.socket.sent.slice(from).find((m) => m.type === "error"), undefined, action);
        } else {
          const err = await sender.socket.message("error", from);
          assert.deepEqual([err.kind, err.code, err.action], ["user", "forbidden", action], `${role} ${action}`);
          assertSaid(err, `${role} ${action}`);
          // The refusal comes after the whole action was processed: nothing of it may have landed.
          assert.equal(await spec.applied(kv, s), false, `${role} ${action} was applied`);
        }
      }
      // Every host action type is in the table.
      for (const a of HOST_ACTIONS) assert.ok(a in ACTIONS, a);
    } finally {
      await hub.close();
      kv.close();
    }
  });
}

Deno.test("a co-host cannot act on the host; the host cannot remove themselves", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, { graceMs: 60_000 });
  try {
    const s = await setup(hub);
    const { host, cohost } = s.members;
    for (
      const msg of [
        { type: "mute", participantId: host.participantId },
        { type: "remove", participantId: host.participantId },
        { type: "rename", participantId: host.participantId, name: "X" },
      ]
    ) {
      const from = cohost.socket.sent.length;
      cohost.send(msg);
      const err = await cohost.socket.message("error", from);
      assert.equal(err.code, "forbidden");
      assert.equal(assertSaid(err, msg.type), "room.refused.notOnHost");
    }
    const p = (await getParticipant(kv, s.meeting.meetingId, host.participantId))!;
    assert.deepEqual([p.mutedByHost, p.leftAt, p.name], [false, null, "Hana"]);
    const from = host.socket.sent.length;
    host.send({ type: "remove", participantId: host.participantId });
    const self = await host.socket.message("error", from);
    assert.equal(self.code, "invalid");
    assert.equal(assertSaid(self, "remove self"), "room.refused.removeSelf");
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("mute-all without unmuting: an unmute is refused and the participant stays muted; ask-unmute lets it through", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, { graceMs: 60_000 });
  try {
    const s = await setup(hub);
    const { host, participant } = s.members;
    host.send({ type: "mute-all", allowUnmute: false });
    await participant.socket.until(
      "muted",
      () =>
        participant.socket.sent.find((m) =>
          m.type === "participant-updated" &&
          (m.data as { participant: { participantId: string; mutedByHost: boolean } }).participant.participantId ===
            participant.participantId &&
          (m.data as { cause?: string }).cause === "muted"
        ),
    );
    const from = participant.socket.sent.length;
    participant.send({ type: "state", audio: true, video: false, screen: false, mids: { audio: "0" } });
    const err = await participant.socket.message("error", from);
    assert.deepEqual([err.code, err.action], ["muted-by-host", "state"]);
    assert.equal(assertSaid(err, "unmute after a host mute"), "room.refused.hostMuted");
    let p = (await getParticipant(kv, s.meeting.meetingId, participant.participantId))!;
    assert.deepEqual([p.mutedByHost, p.state.audio], [true, false]);
    // The host asks; the next unmute passes and lifts the mute.
    const seen = participant.socket.sent.length;
    host.send({ type: "ask-unmute", participantId: participant.participantId });
    await participant.socket.message("unmute-requested", seen);
    participant.send({ type: "state", audio: true, video: false, screen: false });
    await participant.socket.until(
      "unmuted",
      async () => (await getParticipant(kv, s.meeting.meetingId, participant.participantId))?.state.audio,
    );
    p = (await getParticipant(kv, s.meeting.meetingId, participant.participantId))!;
    assert.equal(p.mutedByHost, false);
    // The guest (not asked) never saw the request.
    assert.equal(s.members.guest.socket.sent.find((m) => m.type === "unmute-requested"), undefined);
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("lobby: the waiting socket gets only its own decision; hosts see knocks, others do not", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, { graceMs: 60_000 });
  try {
    const s = await setup(hub);
    const lobby = s.waiting.socket.sent[0];
    assert.equal(lobby.type, "lobby");
    assert.equal(lobby.status, "waiting");
    // Host's welcome listed nobody yet (they joined before the knock), but the knock reached hosts only.
    await s.members.host.socket.until("knock", () => s.members.host.socket.sent.find((m) => m.type === "lobby-knock"));
    await s.members.cohost.socket.until(
      "knock",
      () => s.members.cohost.socket.sent.find((m) => m.type === "lobby-knock"),
    );
    s.members.participant.send({ type: "chat", text: "hello all" });
    await s.members.host.socket.message("chat");
    for (const m of [s.members.participant, s.members.guest]) {
      assert.equal(m.socket.sent.find((x) => String(x.type).startsWith("lobby")), undefined);
    }
    assert.equal(JSON.stringify(s.members.host.socket.sent).includes("_audience"), false);
    // The waiting socket saw neither the chat nor the participants.
    assert.deepEqual(s.waiting.socket.sent.map((m) => m.type), ["lobby"]);
    s.members.host.send({ type: "lobby-admit", admissionId: s.waiting.admission.id });
    await s.waiting.socket.until("closed", () => s.waiting.socket.closedWith);
    assert.equal(s.waiting.socket.closedWith!.code, 4001);
    assert.deepEqual(s.waiting.socket.sent.map((m) => [m.type, m.status]), [["lobby", "waiting"], [
      "lobby",
      "admitted",
    ]]);
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("chat: private messages reach only their two parties, also in the welcome history; length and policy", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, { graceMs: 60_000 });
  try {
    const s = await setup(hub);
    const { host, participant, guest } = s.members;
    participant.send({ type: "chat", text: "secret <b>x</b>", to: host.participantId });
    participant.send({ type: "chat", text: "public" });
    await guest.socket.until("public", () => guest.socket.sent.find((m) => m.type === "chat"));
    const hostChat = await host.socket.until("two", () => {
      const c = host.socket.sent.filter((m) => m.type === "chat");
      return c.length === 2 && c;
    });
    assert.equal((hostChat[0].data as { message: { text: string } }).message.text, "secret <b>x</b>");
    assert.ok(!JSON.stringify(guest.socket.sent).includes("secret"));
    // A newcomer's welcome has the public message only.
    const late = await join(hub, s.meeting, "Lou", "participant", "uL");
    const welcome = late.socket.sent[0] as { chat: { text: string }[] };
    assert.deepEqual(welcome.chat.map((m) => m.text), ["public"]);
    // Too long, and hosts-only chat.
    let from = guest.socket.sent.length;
    guest.send({ type: "chat", text: "x".repeat(4001) });
    const tooLong = await guest.socket.message("error", from);
    assert.equal(tooLong.code, "chat-too-long");
    assert.equal(assertSaid(tooLong, "chat too long"), "room.messageTooLong");
    host.send({ type: "settings", chat: "hosts" });
    await guest.socket.message("settings-changed");
    from = guest.socket.sent.length;
    guest.send({ type: "chat", text: "to all" });
    const hostsOnly = await guest.socket.message("error", from);
    assert.equal(hostsOnly.code, "chat-off");
    assert.equal(assertSaid(hostsOnly, "chat to hosts only"), "room.refused.chatHosts");
    guest.send({ type: "chat", text: "to host", to: host.participantId });
    await host.socket.until(
      "to host",
      () =>
        host.socket.sent.find((m) =>
          m.type === "chat" && (m.data as { message: { text: string } }).message.text === "to host"
        ),
    );
  } finally {
    await hub.close();
    kv.close();
  }
});

Deno.test("the recording rules' refusals reach the socket as room.* messages with their codes", async () => {
  const kv = await Deno.openKv(":memory:");
  const hub = new MeetingHub(kv, { graceMs: 60_000, gateway: acceptingGateway() });
  const bare = new MeetingHub(kv, { graceMs: 60_000 });
  try {
    const s = await setup(hub);
    const { host, participant, guest } = s.members;
    const refusal = async (m: Member, on: boolean) => {
      const from = m.socket.sent.length;
      m.send({ type: "record", on });
      const err = await m.socket.message("error", from);
      return [err.code, assertSaid(err, `record ${on}`)];
    };
    assert.deepEqual(await refusal(guest, true), ["forbidden", "room.refused.recordSignIn"]);
    assert.deepEqual(await refusal(participant, true), ["forbidden", "room.refused.recordNotAllowed"]);
    assert.deepEqual(await refusal(host, false), ["conflict", "room.refused.recordNotOn"]);
    host.send({ type: "record", on: true });
    await host.socket.message("recording");
    assert.deepEqual(await refusal(host, true), ["conflict", "room.refused.recordAlready"]);
    // Without a media gateway the server says recording is unavailable.
    const other = await createMeeting(kv, { hostId: "uB", settings: { lobby: false } });
    const lone = await join(bare, other, "Bea", "host", "uB");
    assert.deepEqual(await refusal(lone, true), ["unavailable", "room.refused.recordNoGateway"]);
  } finally {
    await hub.close();
    await bare.close();
    kv.close();
  }
});

Deno.test("every refusal written in the meeting's controls and hub is a room.* message key, never English", async () => {
  for (const file of ["./controls.ts", "./hub.ts", "../recordings/service.ts"]) {
    const source = await Deno.readTextFile(new URL(file, import.meta.url));
    // What a refusal is built from: ActionRefused and its helpers, the hub's user errors and the
    // recording rules' domain errors (stateChange's refusal is typed a key; the tests above send it).
    const sites = source.matchAll(
      /(?:ActionRefused\(\s*"[^"]+",|forbidden\(|invalid\(|#userError\([^,]+,[^,]+,|new (?:Forbidden|Conflict|Unavailable)\()\s*"([^"]*)"/g,
    );
    let count = 0;
    for (const [site, text] of sites) {
      // Deleting a recording is refused on the recordings' own pages and API, not in the meeting.
      if (file.includes("recordings") && /Stop the recording before deleting/.test(text)) continue;
      count++;
      assert.ok(isMessageKey(text), `${file}: ${site} does not say a message key`);
      assert.ok(
        ROOM_PREFIXES.some((p) => text.startsWith(p)),
        `${file}: ${text} is not in the meeting island's catalog`,
      );
    }
    assert.ok(count >= 3, `${file}: found only ${count} refusals (the pattern no longer matches the code?)`);
  }
});
