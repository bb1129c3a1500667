// Reactions: the emoji bar (opened from the control bar) and the emojis floating briefly over the
// sender's tile. Positions are set from JS (CSS custom property), never as inline style markup.

import { useEffect, useRef, useState } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { REACTION_EMOJI } from "../../lib/meetings/client/controller.ts";
import { Icon } from "./icons.tsx";
import type { MessageKey } from "../../lib/i18n/client.ts";

const LABELS: Record<string, MessageKey> = {
  "👍": "room.reactThumbsUp",
  "👏": "room.reactApplause",
  "❤️": "room.reactHeart",
  "😂": "room.reactLaughing",
  "😮": "room.reactSurprised",
  "🎉": "room.reactCelebrate",
};

/**
 * The React button and its bar. Choosing an emoji sends it and closes the bar (as in Meet), and
 * Escape closes it too; either way focus goes back to the button, so the keyboard stays in place.
 */
export function ReactionButton({ room }: { room: MeetingController }) {
  const [open, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    toggle.current?.focus();
  };
  return (
    <span
      class="room-reactions"
      onKeyDown={(e) => {
        if (open && e.key === "Escape") close();
      }}
    >
      <button
        ref={toggle}
        type="button"
        class={`room-control${open ? " is-active" : ""}`}
        aria-expanded={open}
        data-action="reactions"
        onClick={() => setOpen(!open)}
      >
        <Icon name="react" />
        <span class="room-control-label">{room.t("room.react")}</span>
      </button>
      {open && (
        <span class="room-reaction-bar" role="toolbar" aria-label={room.t("room.reactions")}>
          {REACTION_EMOJI.map((e) => (
            <button
              type="button"
              key={e}
              class="room-reaction-choice"
              aria-label={LABELS[e] ? room.t(LABELS[e]) : e}
              title={LABELS[e] ? room.t(LABELS[e]) : e}
              data-emoji={e}
              onClick={() => {
                room.react(e);
                close();
              }}
            >
              {e}
            </button>
          ))}
        </span>
      )}
    </span>
  );
}

/** The reactions of one participant floating over their tile. */
export function TileReactions({ room, participantId }: { room: MeetingController; participantId: string }) {
  const mine = room.reactions.value.filter((r) => r.participantId === participantId);
  if (mine.length === 0) return null;
  return (
    <span class="room-tile-reactions" aria-live="polite">
      {mine.map((r) => (
        <FloatingEmoji
          key={r.key}
          emoji={r.emoji}
          seed={r.key}
          label={LABELS[r.emoji] ? room.t(LABELS[r.emoji]) : r.emoji}
        />
      ))}
    </span>
  );
}

function FloatingEmoji({ emoji, seed, label }: { emoji: string; seed: number; label: string }) {
  const ref = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    // A little horizontal spread so several reactions do not cover each other.
    ref.current?.style.setProperty("--room-reaction-x", `${((seed * 37) % 60) - 30}px`);
  }, [seed]);
  return (
    <span ref={ref} class="room-reaction" role="img" aria-label={label}>
      {emoji}
    </span>
  );
}
