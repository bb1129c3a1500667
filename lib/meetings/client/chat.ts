// In-meeting chat as the browser keeps it: message text split into plain text and links (the UI
// builds text nodes and anchors from these parts, never HTML), the message list with unread
// counting, and the length limit. Pure functions, no DOM, no socket.

// Types only (protocol.ts would pull zod into the bundle).
import type { ChatMessage } from "../../contracts/meeting_socket.ts";

/** Longest chat message, in UTF-16 code units (protocol.ts's MAX_CHAT_CHARS; a test keeps them equal). */
export const CHAT_MAX_CHARS = 4000;

/** A piece of a chat message: plain text, or a link with the text shown and the http(s) URL. */
export type ChatPart = { text: string } | { text: string; href: string };

// http(s)://… or www.…, up to whitespace or characters that never belong to a URL in prose.
const URL_RE = /\b(?:https?:\/\/|www\.)[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?'"\u2019\u201d]+$/;

/**
 * Splits `text` into plain text and links. Only http and https links are made (never javascript:,
 * data: …); trailing punctuation and unbalanced closing brackets stay text, so "see (https://x.y)."
 * links only https://x.y. Joining every part's text gives back `text` unchanged.
 */
export function linkify(text: string): ChatPart[] {
  const parts: ChatPart[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const start = m.index!;
    let url = m[0];
    // Strip trailing punctuation and closers that do not close an opener inside the URL.
    for (;;) {
      const before = url;
      url = url.replace(TRAILING, "");
      for (const [open, close] of [["(", ")"], ["[", "]"], ["{", "}"]]) {
        if (url.endsWith(close) && count(url, close) > count(url, open)) url = url.slice(0, -1);
      }
      if (url === before) break;
    }
    const href = /^www\./i.test(url) ? `https://${url}` : url;
    if (!isLinkable(href)) continue;
    if (start > last) parts.push({ text: text.slice(last, start) });
    parts.push({ text: url, href });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last) });
  return parts;
}

function count(s: string, ch: string): number {
  let n = 0;
  for (const c of s) if (c === ch) n++;
  return n;
}

function isLinkable(href: string): boolean {
  try {
    const u = new URL(href);
    if (u.protocol !== "http:" && u.protocol !== "https:") return false;
    return u.hostname.includes(".") || u.hostname === "localhost";
  } catch {
    return false;
  }
}

/** What the composer may send: trimmed, non-empty, at most CHAT_MAX_CHARS. */
export function chatDraftProblem(draft: string): "empty" | "too-long" | null {
  if (draft.trim().length === 0) return "empty";
  if (draft.length > CHAT_MAX_CHARS) return "too-long";
  return null;
}

/** A line the meeting itself writes into the chat (recording started or stopped), under its message's id. */
export interface SystemEntry {
  id: number;
  at: string;
  system: "recording-on" | "recording-off";
}

/**
 * One chat message (to everyone when `to` is null), or a line of the meeting's own; ordered and
 * de-duplicated by the meeting message id that carried it.
 */
export type ChatEntry = ChatMessage | SystemEntry;

export function isSystemEntry(e: ChatEntry): e is SystemEntry {
  return "system" in e;
}

/** The chat as the client holds it: entries in id order, and how many arrived unseen. */
export interface ChatLog {
  entries: readonly ChatEntry[];
  unread: number;
}

export const EMPTY_CHAT: ChatLog = { entries: [], unread: 0 };

/** Most entries kept in the browser (older ones scroll out). */
export const CHAT_KEEP = 500;

/**
 * Adds entries (history or live), idempotently by id and kept in id order. Entries from someone
 * else arriving while the panel is closed count as unread; `mine` is this browser's participant.
 */
export function addChat(
  log: ChatLog,
  add: readonly ChatEntry[],
  opts: { open: boolean; mine: string | null },
): ChatLog {
  if (!add.length) return log;
  const seen = new Set(log.entries.map((e) => e.id));
  const fresh = add.filter((e) => !seen.has(e.id));
  if (!fresh.length) return log;
  const entries = [...log.entries, ...fresh].sort((a, b) => a.id - b.id).slice(-CHAT_KEEP);
  const unseen = opts.open ? 0 : fresh.filter((e) => !isSystemEntry(e) && e.from.participantId !== opts.mine).length;
  return { entries, unread: opts.open ? 0 : log.unread + unseen };
}

/** The panel was opened: everything is read. */
export function markChatRead(log: ChatLog): ChatLog {
  return log.unread === 0 ? log : { ...log, unread: 0 };
}
