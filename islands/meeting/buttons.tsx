// The meeting's button kinds, so their classes and state attributes stay in step everywhere: small
// action buttons (admit, deny, lower hand…) and the control bar's toggles (on/off ones, and the
// microphone and camera, which show when they are off).

import type { ComponentChildren } from "preact";
import { Icon } from "./icons.tsx";

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

interface ToggleProps {
  action: string;
  /** Why the person cannot use the toggle right now (it is disabled, with this as its title). */
  blocked?: string;
  onClick: () => void;
  children: ComponentChildren;
}

/** A control-bar toggle's markup: `aria-pressed` follows `pressed`, `state` is its class beside it. */
function ToggleButton({ pressed, state, ...p }: ToggleProps & { pressed: boolean; state: string }) {
  return (
    <button
      type="button"
      class={`room-control${state}`}
      aria-pressed={pressed}
      data-action={p.action}
      disabled={p.blocked !== undefined}
      title={p.blocked}
      onClick={p.onClick}
    >
      {p.children}
    </button>
  );
}

/** A control-bar toggle: `is-active` and `aria-pressed` both follow `on`. */
export function ControlToggle({ on, ...p }: ToggleProps & { on: boolean }) {
  return <ToggleButton {...p} pressed={on} state={on ? " is-active" : ""} />;
}

/**
 * The control bar's toggle for the person's own microphone or camera: `is-off` and `aria-pressed`
 * follow `off`; while a host keeps the device off, `blocked` says why.
 */
export function DeviceToggle({ off, ...p }: ToggleProps & { off: boolean }) {
  return <ToggleButton {...p} pressed={off} state={off ? " is-off" : ""} />;
}

/** A side panel's heading with its close button (focus returns to the control bar's toggle). */
export function PanelHead(
  { title, panel, closeLabel, onClose }: { title: string; panel: string; closeLabel: string; onClose: () => void },
) {
  return (
    <div class="room-panel-head">
      <h2>{title}</h2>
      <button
        type="button"
        class="room-panel-close"
        aria-label={closeLabel}
        data-action={`close-${panel}`}
        onClick={() => {
          onClose();
          document.querySelector<HTMLElement>(`.room-bar [data-action="${panel}"]`)?.focus();
        }}
      >
        <Icon name="close" />
      </button>
    </div>
  );
}
