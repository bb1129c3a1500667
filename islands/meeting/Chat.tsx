// The chat panel: messages to everyone and private ones, links made clickable (text and anchors
// built as DOM nodes by Preact, never HTML), a composer with the 4,000-character limit shown, the
// addressee picker, and the disabled state when the host turned chat off or limited it to hosts.

import { useEffect, useRef, useState } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { CHAT_MAX_CHARS, linkify } from "../../lib/meetings/client/chat.ts";
import type { ChatEntry } from "../../lib/meetings/client/chat.ts";
import { chatAllowed, isHostRole } from "../../lib/meetings/client/moderation.ts";
import { PanelHead } from "./buttons.tsx";

export function Chat({ room }: { room: MeetingController }) {
  const [draft, setDraft] = useState("");
  const list = useRef<HTMLOListElement>(null);
  const me = room.participantId.value;
  const entries = room.chat.value.entries;
  const roster = room.roster.value;
  const to = room.chatTo.value;
  const target = to ? roster.get(to) ?? null : null;
  const settings = room.settings.value;
  const allowed = chatAllowed(settings, room.role.value, target);
  const others = [...roster.values()].filter((p) => p.participantId !== me);
  const over = draft.length > CHAT_MAX_CHARS;

  // Keep the newest message in view.
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [entries.length, room.showChat.value]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (room.sendChat(draft)) setDraft("");
  };
  const policy = settings.chat === "off"
    ? "Chat is off"
    : settings.chat === "hosts"
    ? "Only hosts can chat to everyone"
    : null;

  return (
    <aside class="room-sidebar room-chat" aria-label="Chat">
      <PanelHead
        title={room.t("room.chat")}
        panel="chat"
        closeLabel={room.t("room.close", { panel: room.t("room.chat") })}
        onClose={() => room.setChatOpen(false)}
      />
      {policy && <p class="room-chat-policy" role="status">{policy}</p>}
      <ol ref={list} class="room-chat-list" aria-live="polite">
        {entries.length === 0 && <li class="room-chat-empty">No messages yet</li>}
        {entries.map((m) => <ChatLine key={m.id} entry={m} me={me} />)}
      </ol>
      <form class="room-chat-form" onSubmit={submit}>
        <label class="room-chat-to">
          To{" "}
          <select
            name="to"
            value={to ?? ""}
            onChange={(e) => (room.chatTo.value = (e.currentTarget as HTMLSelectElement).value || null)}
          >
            <option value="">Everyone</option>
            {others.map((p) => (
              <option key={p.participantId} value={p.participantId}>
                {p.name}
                {isHostRole(p.role) ? (p.role === "host" ? " (host)" : " (co-host)") : ""} (privately)
              </option>
            ))}
          </select>
        </label>
        <textarea
          name="message"
          class="room-chat-input"
          aria-label={target ? `Message to ${target.name}, privately` : "Message to everyone"}
          rows={3}
          placeholder={allowed.ok ? (target ? `Message ${target.name} privately` : "Message everyone") : allowed.why}
          disabled={!allowed.ok}
          value={draft}
          aria-describedby="room-chat-count"
          onInput={(e) => setDraft((e.currentTarget as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey) submit(e);
          }}
        />
        <div class="room-chat-send">
          <span id="room-chat-count" class={`room-chat-count${over ? " is-over" : ""}`}>
            {draft.length.toLocaleString("en")} / {CHAT_MAX_CHARS.toLocaleString("en")}
          </span>
          <button type="submit" class="button" disabled={!allowed.ok || over || draft.trim() === ""}>
            Send
          </button>
        </div>
      </form>
    </aside>
  );
}

function ChatLine({ entry, me }: { entry: ChatEntry; me: string | null }) {
  const mine = entry.from.participantId === me;
  const time = new Date(entry.at);
  const when = isNaN(time.getTime()) ? "" : time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return (
    <li
      class={`room-chat-message${mine ? " is-mine" : ""}${entry.to ? " is-private" : ""}`}
      data-chat-id={entry.id}
    >
      <p class="room-chat-meta">
        <strong>{mine ? "You" : entry.from.name}</strong>
        {entry.to && (
          <span class="room-chat-private">
            {` to ${entry.to.participantId === me ? "you" : entry.to.name} (privately)`}
          </span>
        )}
        {when && <time dateTime={entry.at}>{when}</time>}
      </p>
      <p class="room-chat-text">
        {linkify(entry.text).map((part, i) =>
          "href" in part
            ? (
              <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
                {part.text}
              </a>
            )
            : part.text
        )}
      </p>
    </li>
  );
}
