// The meeting's two button kinds, so their classes and state attributes stay in step everywhere:
// small action buttons (admit, deny, lower hand…) and the control bar's on/off toggles.

import type { ComponentChildren } from "preact";

/** A small button naming its action in `data-action` (what tests and styles find it by). */
export function SmallButton(
  p: { action?: string; secondary?: boolean; onClick: () => void; children: ComponentChildren },
) {
  return (
    <button
      type="button"
      class={p.secondary ? "button small secondary" : "button small"}
      data-action={p.action}
      onClick={p.onClick}
    >
      {p.children}
    </button>
  );
}

/** A control-bar toggle: `is-active` and `aria-pressed` both follow `on`. */
export function ControlToggle(
  p: { action: string; on: boolean; onClick: () => void; children: ComponentChildren },
) {
  return (
    <button
      type="button"
      class={`room-control${p.on ? " is-active" : ""}`}
      aria-pressed={p.on}
      data-action={p.action}
      onClick={p.onClick}
    >
      {p.children}
    </button>
  );
}
