// The keyboard shortcuts: the key listener for the meeting, and the "?" dialog that lists them and
// lets people change a key (press the new one), turn them all off, or go back to the defaults.

import { useEffect, useRef, useState } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import {
  actionFor,
  comboOf,
  comboProblem,
  isTyping,
  SHORTCUT_LABELS,
  type ShortcutAction,
} from "../../lib/meetings/client/shortcuts.ts";

/** Listens for the meeting's shortcuts while mounted (in the meeting; never while typing or in a dialog). */
export function useShortcuts(room: MeetingController) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.repeat || isTyping(e.target)) return;
      if (document.querySelector("dialog[open]")) return;
      const action = actionFor(e, room.shortcuts.value);
      if (!action) return;
      e.preventDefault();
      room.runShortcut(action);
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
}

export function ShortcutsDialog({ room }: { room: MeetingController }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [editing, setEditing] = useState<ShortcutAction | null>(null);
  const [problem, setProblem] = useState("");
  const open = room.shortcutsOpen.value;
  const prefs = room.shortcuts.value;
  const { t } = room;
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const stopEditing = () => {
    setEditing(null);
    setProblem("");
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (!editing) return;
    e.preventDefault();
    e.stopPropagation();
    if (e.key === "Escape") return stopEditing();
    const combo = comboOf(e);
    if (!combo) return;
    const why = comboProblem(combo, editing, prefs.keys);
    if (why) {
      return setProblem(
        why.reason === "reserved"
          ? t("room.scReserved", { combo })
          : t("room.scTaken", { combo, action: t(SHORTCUT_LABELS[why.by]) }),
      );
    }
    room.setShortcut(editing, combo);
    stopEditing();
  };
  return (
    <dialog
      ref={ref}
      class="room-dialog room-shortcuts"
      aria-labelledby="room-shortcuts-title"
      onClose={() => {
        room.shortcutsOpen.value = false;
        stopEditing();
      }}
      onKeyDown={onKeyDown}
    >
      <h2 id="room-shortcuts-title">{t("room.shortcuts")}</h2>
      <label class="room-toggle">
        <input
          type="checkbox"
          name="shortcuts-enabled"
          checked={prefs.enabled}
          onChange={(e) => room.setShortcutsEnabled((e.currentTarget as HTMLInputElement).checked)}
        />{" "}
        {t("room.scUse")}
      </label>
      <table class="room-shortcut-table">
        <thead>
          <tr>
            <th scope="col">{t("room.scAction")}</th>
            <th scope="col">{t("room.scKey")}</th>
            <th scope="col">
              <span class="sr-only">{t("room.scChange")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(Object.keys(SHORTCUT_LABELS) as ShortcutAction[]).map((action) => (
            <tr key={action} data-shortcut={action}>
              <td>{t(SHORTCUT_LABELS[action])}</td>
              <td>
                <kbd>{prefs.keys[action]}</kbd>
              </td>
              <td>
                <button
                  type="button"
                  class="button small secondary"
                  data-change-shortcut={action}
                  aria-label={t("room.scChangeFor", { action: t(SHORTCUT_LABELS[action]) })}
                  disabled={!prefs.enabled}
                  onClick={() => {
                    setProblem("");
                    setEditing(action);
                  }}
                >
                  {editing === action ? t("room.scPressKey") : t("room.scChange")}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="room-shortcut-problem" role="alert">{problem}</p>
      <p class="room-dialog-actions">
        <button
          type="button"
          class="button secondary"
          data-action="reset-shortcuts"
          onClick={() => room.resetShortcuts()}
        >
          {t("room.scDefaults")}
        </button>{" "}
        <button
          type="button"
          class="button"
          data-action="close-shortcuts"
          onClick={() => ref.current?.close()}
        >
          {t("room.close2")}
        </button>
      </p>
    </dialog>
  );
}
