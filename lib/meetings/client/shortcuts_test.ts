import assert from "node:assert/strict";
import {
  actionFor,
  comboOf,
  comboProblem,
  DEFAULT_SHORTCUTS,
  loadShortcuts,
  saveShortcuts,
  type ShortcutPrefs,
} from "./shortcuts.ts";
import { announcementFor } from "./announce.ts";
import { translator } from "../../i18n/translate.ts";
import type { MeetingMessage, ParticipantView } from "../../contracts/meeting_socket.ts";

const press = (key: string, mods: Partial<Record<"ctrlKey" | "altKey" | "shiftKey" | "metaKey", boolean>> = {}) => ({
  key,
  ctrlKey: false,
  altKey: false,
  shiftKey: false,
  metaKey: false,
  ...mods,
});

function memoryStorage(value?: string) {
  let v = value ?? null;
  return { getItem: () => v, setItem: (_k: string, x: string) => void (v = x) };
}

Deno.test("shortcuts: key presses become combos; Shift counts for letters and named keys, not for symbols", () => {
  assert.equal(comboOf(press("m")), "M");
  assert.equal(comboOf(press("L", { shiftKey: true })), "Shift+L");
  assert.equal(comboOf(press("?", { shiftKey: true })), "?");
  assert.equal(comboOf(press("k", { ctrlKey: true, altKey: true })), "Ctrl+Alt+K");
  assert.equal(comboOf(press(" ")), "Space");
  assert.equal(comboOf(press("Shift", { shiftKey: true })), null, "a lone modifier is not a combo");
});

Deno.test("shortcuts: defaults, off, a changed key, and what cannot be chosen", () => {
  const prefs: ShortcutPrefs = { enabled: true, keys: { ...DEFAULT_SHORTCUTS } };
  assert.equal(actionFor(press("m"), prefs), "mute");
  assert.equal(actionFor(press("l"), prefs), null, "leaving needs Shift");
  assert.equal(actionFor(press("L", { shiftKey: true }), prefs), "leave");
  assert.equal(actionFor(press("m", { ctrlKey: true }), prefs), null, "Ctrl+M is not M");
  assert.equal(actionFor(press("m"), { ...prefs, enabled: false }), null);
  assert.equal(actionFor(press("k"), { ...prefs, keys: { ...prefs.keys, mute: "K" } }), "mute");
  assert.deepEqual(comboProblem("V", "mute", prefs.keys), { reason: "taken", by: "camera" });
  assert.deepEqual(comboProblem("Tab", "mute", prefs.keys), { reason: "reserved" });
  assert.equal(comboProblem("M", "mute", prefs.keys), null, "its own key again is fine");
});

Deno.test("shortcuts are remembered; a broken or ambiguous record gives the defaults", () => {
  const s = memoryStorage();
  const swapped = { enabled: false, keys: { ...DEFAULT_SHORTCUTS, mute: "V", camera: "M" } };
  saveShortcuts(swapped, s);
  assert.deepEqual(loadShortcuts(s), swapped, "a swap of two keys survives");
  const twice = JSON.stringify({ keys: { ...DEFAULT_SHORTCUTS, mute: "V" } });
  assert.deepEqual(loadShortcuts(memoryStorage(twice)).keys, DEFAULT_SHORTCUTS, "two actions on V: defaults");
  assert.deepEqual(loadShortcuts(memoryStorage("{oops")), { enabled: true, keys: DEFAULT_SHORTCUTS });
  const bad = JSON.stringify({ keys: { mute: "Hyper+M", camera: 5 } });
  assert.deepEqual(loadShortcuts(memoryStorage(bad)).keys, DEFAULT_SHORTCUTS, "unknown modifiers are dropped");
  assert.deepEqual(loadShortcuts(null).keys, DEFAULT_SHORTCUTS);
});

const person = (id: string, name: string, hand: string | null = null): ParticipantView => ({
  participantId: id,
  name,
  role: "participant",
  state: { audio: true, video: true, screen: false },
  feedId: null,
  joinedAt: "2026-12-04T10:00:00.000Z",
  mutedByHost: false,
  videoStoppedByHost: false,
  handRaisedAt: hand,
});
const msg = (m: unknown) => m as MeetingMessage;

Deno.test("announcements: joins, leaves, raised hands and others' messages; nothing for own actions or replays", () => {
  const ana = person("a", "Ana");
  const roster = new Map([["a", ana], ["me", person("me", "Me")]]);
  const en = translator("en");
  const say = (m: MeetingMessage, r: typeof roster, mine: string) => announcementFor(m, r, mine, en);
  const joined = (p: ParticipantView) => msg({ type: "participant-joined", data: { participant: p } });
  assert.equal(say(joined(person("b", "Bo")), roster, "me"), "Bo joined");
  assert.equal(say(joined(ana), roster, "me"), null, "already here (a replay)");
  assert.equal(say(joined(person("me", "Me")), new Map(), "me"), null, "not myself");
  assert.equal(
    say(msg({ type: "participant-left", data: { participantId: "a" } }), roster, "me"),
    "Ana left",
  );
  const raised = msg({
    type: "participant-updated",
    data: { participant: person("a", "Ana", "2026-12-04T10:01:00Z") },
  });
  assert.equal(say(raised, roster, "me"), "Ana raised their hand");
  const stillRaised = new Map([["a", person("a", "Ana", "2026-12-04T10:01:00Z")]]);
  assert.equal(say(raised, stillRaised, "me"), null, "no change, nothing to say");
  const chat = (from: string, to: unknown, text: string) =>
    msg({ type: "chat", data: { message: { id: 1, at: "", from: { participantId: from, name: "Ana" }, to, text } } });
  assert.equal(say(chat("a", null, "hello"), roster, "me"), "Message from Ana: hello");
  assert.equal(
    say(chat("a", { participantId: "me", name: "Me" }, "psst"), roster, "me"),
    "Private message from Ana: psst",
  );
  assert.equal(say(chat("me", null, "mine"), roster, "me"), null);
  assert.match(say(chat("a", null, "x".repeat(500)), roster, "me")!, /^Message from Ana: x{200}…$/);
  // In the page's language: the island's translator says it.
  assert.equal(announcementFor(joined(person("b", "Bo")), roster, "me", translator("de")), "Bo ist beigetreten");
});
