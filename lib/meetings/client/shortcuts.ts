// The meeting's keyboard shortcuts: single keys as in Jitsi (M, V, S, H, C, P; Shift+L to leave and
// Shift+R to record so they are never pressed by accident; ? lists them), ignored while typing in a field. People change
// any key or turn them all off in the "?" dialog; that is remembered per device (localStorage).

import type { MessageKey } from "../../i18n/client.ts";

export type ShortcutAction =
  | "mute"
  | "camera"
  | "screen"
  | "hand"
  | "chat"
  | "participants"
  | "record"
  | "leave"
  | "help";

/** What each action's row says (message keys of the room.* catalog), in the dialog's order. */
export const SHORTCUT_LABELS = {
  mute: "room.scMute",
  camera: "room.scCamera",
  screen: "room.scScreen",
  hand: "room.scHand",
  chat: "room.scChat",
  participants: "room.scParticipants",
  record: "room.scRecord",
  leave: "room.scLeave",
  help: "room.scHelp",
} as const satisfies Record<ShortcutAction, MessageKey>;

/** A key combination as written here and shown to people: "M", "Shift+L", "Ctrl+Alt+K", "?". */
export type KeyCombo = string;

export const DEFAULT_SHORTCUTS: Record<ShortcutAction, KeyCombo> = {
  mute: "M",
  camera: "V",
  screen: "S",
  hand: "H",
  chat: "C",
  participants: "P",
  record: "Shift+R",
  leave: "Shift+L",
  help: "?",
};

export interface ShortcutPrefs {
  enabled: boolean;
  keys: Record<ShortcutAction, KeyCombo>;
}

const KEY = "ts-shortcuts";
const MODIFIERS = ["Ctrl", "Alt", "Shift", "Meta"] as const;

interface KeyLike {
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

/**
 * The combination a key press makes, or null for a lone modifier. Letters are upper-cased; for a
 * printable symbol (such as "?") Shift is part of the character already, so it is not added.
 */
export function comboOf(e: KeyLike): KeyCombo | null {
  if (["Control", "Alt", "Shift", "Meta", "AltGraph", "CapsLock", "Dead", "Unidentified"].includes(e.key)) return null;
  const letter = /^[a-z]$/i.test(e.key);
  const named = e.key.length > 1; // "Enter", "F2", "ArrowUp"…
  const key = letter ? e.key.toUpperCase() : e.key === " " ? "Space" : e.key;
  const mods: string[] = [];
  if (e.ctrlKey) mods.push("Ctrl");
  if (e.altKey) mods.push("Alt");
  if (e.shiftKey && (letter || named)) mods.push("Shift");
  if (e.metaKey) mods.push("Meta");
  return [...mods, key].join("+");
}

/** The action a key press asks for under `prefs`, or null. */
export function actionFor(e: KeyLike, prefs: ShortcutPrefs): ShortcutAction | null {
  if (!prefs.enabled) return null;
  const combo = comboOf(e);
  if (!combo) return null;
  for (const [action, keys] of Object.entries(prefs.keys)) if (keys === combo) return action as ShortcutAction;
  return null;
}

/** Whether a key press happens where typing goes (fields, editable text): shortcuts stay out of it. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.closest !== "function") return false;
  return !!el.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
}

/** Why `combo` cannot be used for `action` (needed for moving around, or another action's), or null. */
export function comboProblem(
  combo: KeyCombo,
  action: ShortcutAction,
  keys: Record<ShortcutAction, KeyCombo>,
): { reason: "reserved" } | { reason: "taken"; by: ShortcutAction } | null {
  if (combo === "Escape" || combo === "Tab" || combo === "Shift+Tab") return { reason: "reserved" };
  const taken = (Object.keys(keys) as ShortcutAction[]).find((a) => a !== action && keys[a] === combo);
  return taken ? { reason: "taken", by: taken } : null;
}

function valid(combo: unknown): combo is KeyCombo {
  if (typeof combo !== "string" || combo.length === 0 || combo.length > 40) return false;
  const parts = combo.split("+");
  const key = parts.pop()!;
  return key.length > 0 && parts.every((m) => (MODIFIERS as readonly string[]).includes(m));
}

/** The remembered shortcuts; a malformed record, or one giving two actions one key, means the defaults. */
export function loadShortcuts(storage: Pick<Storage, "getItem"> | null = safeStorage()): ShortcutPrefs {
  const keys = { ...DEFAULT_SHORTCUTS };
  let enabled = true;
  try {
    const raw = JSON.parse(storage?.getItem(KEY) ?? "{}") as { enabled?: unknown; keys?: Record<string, unknown> };
    if (typeof raw?.enabled === "boolean") enabled = raw.enabled;
    for (const action of Object.keys(DEFAULT_SHORTCUTS) as ShortcutAction[]) {
      const k = raw?.keys?.[action];
      if (valid(k)) keys[action] = k;
    }
  } catch {
    return { enabled: true, keys: { ...DEFAULT_SHORTCUTS } };
  }
  const combos = Object.values(keys);
  return { enabled, keys: new Set(combos).size === combos.length ? keys : { ...DEFAULT_SHORTCUTS } };
}

export function saveShortcuts(prefs: ShortcutPrefs, storage: Pick<Storage, "setItem"> | null = safeStorage()) {
  try {
    storage?.setItem(KEY, JSON.stringify(prefs));
  } catch { /* not remembered */ }
}

function safeStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}
