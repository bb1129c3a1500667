// The chat panel: messages to everyone and private ones, links made clickable (text and anchors
// built as DOM nodes by Preact, never HTML), a composer with the 4,000-character limit shown, the
// addressee picker, and the disabled state when the host turned chat off or limited it to hosts.

import { useEffect, useRef, useState } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { CHAT_MAX_CHARS, linkify } from "../../lib/meetings/client/chat.ts";
import { isSystemEntry, type SystemEntry } from "../../lib/meetings/client/chat.ts";
import type { ChatMessage } from "../../lib/contracts/meeting_socket.ts";
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
  const { t } = room;
  const policy = settings.chat === "off"
    ? t("room.chatOff")
    : settings.chat === "hosts"
    ? t("room.chatHostsOnly")
    : null;

  return (
    <aside class="room-sidebar room-chat" aria-label={t("room.chat")}>
      <PanelHead
        title={room.t("room.chat")}
        panel="chat"
        closeLabel={room.t("room.close", { panel: room.t("room.chat") })}
        onClose={() => room.setChatOpen(false)}
      />
      {policy && <p class="room-chat-policy" role="status">{policy}</p>}
      <ol ref={list} class="room-chat-list" aria-live="polite">
        {entries.length === 0 && <li class="room-chat-empty">{t("room.chatEmpty")}</li>}
        {entries.map((m) =>
          isSystemEntry(m)
            ? <SystemLine key={m.id} entry={m} room={room} />
            : <ChatLine key={m.id} entry={m} me={me} room={room} />
        )}
      </ol>
      <form class="room-chat-form" onSubmit={submit}>
        <label class="room-chat-to">
          {t("room.chatTo")}{" "}
          <select
            name="to"
            value={to ?? ""}
            onChange={(e) => (room.chatTo.value = (e.currentTarget as HTMLSelectElement).value || null)}
          >
            <option value="">{t("room.everyone")}</option>
            {others.map((p) => (
              <option key={p.participantId} value={p.participantId}>
                {t(
                  isHostRole(p.role)
                    ? (p.role === "host" ? "room.chatPrivatelyHost" : "room.chatPrivatelyCohost")
                    : "room.chatPrivately",
                  { name: p.name },
                )}
              </option>
            ))}
          </select>
        </label>
        <textarea
          name="message"
          class="room-chat-input"
          aria-label={target ? t("room.messageToPrivately", { name: target.name }) : t("room.messageToEveryone")}
          rows={3}
          placeholder={allowed.ok
            ? (target ? t("room.messagePlaceholderPrivate", { name: target.name }) : t("room.messagePlaceholder"))
            : t(allowed.why)}
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
            {draft.length.toLocaleString(room.props.i18n.locale)} /{" "}
            {CHAT_MAX_CHARS.toLocaleString(room.props.i18n.locale)}
          </span>
          <button type="submit" class="button" disabled={!allowed.ok || over || draft.trim() === ""}>
            {t("room.send")}
          </button>
        </div>
      </form>
    </aside>
  );
}

/** A line of the meeting's own (recording started or stopped), set apart from people's messages. */
function SystemLine({ entry, room }: { entry: SystemEntry; room: MeetingController }) {
  const { t } = room;
  return (
    <li class="room-chat-system" data-chat-id={entry.id}>
      {t(entry.system === "recording-on" ? "room.recordingStarted" : "room.recordingStopped")}
    </li>
  );
}

function ChatLine({ entry, me, room }: { entry: ChatMessage; me: string | null; room: MeetingController }) {
  const { t } = room;
  const mine = entry.from.participantId === me;
  const time = new Date(entry.at);
  const when = isNaN(time.getTime())
    ? ""
    : time.toLocaleTimeString(room.props.i18n.locale, { hour: "2-digit", minute: "2-digit" });
  return (
    <li
      class={`room-chat-message${mine ? " is-mine" : ""}${entry.to ? " is-private" : ""}`}
      data-chat-id={entry.id}
    >
      <p class="room-chat-meta">
        <strong>{mine ? t("room.you") : entry.from.name}</strong>
        {entry.to && (
          <span class="room-chat-private">
            {entry.to.participantId === me ? t("room.chatToYou") : t("room.chatToName", { name: entry.to.name })}
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
