// Hosts: call a phone number or a SIP address into the meeting ("Call out"), and how each call is
// going (calling, ringing, answered, busy, no answer, failed) from the server's dial-out-status.

import { useState } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import type { DialOutStatus } from "../../lib/contracts/meeting_socket.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";

const STATUS_TEXT: Record<DialOutStatus["status"], MessageKey> = {
  calling: "room.callCalling",
  ringing: "room.callRinging",
  answered: "room.callAnswered",
  busy: "room.callBusy",
  "no-answer": "room.callNoAnswer",
  failed: "room.callFailed",
};

export function CallOut({ room }: { room: MeetingController }) {
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState("");
  const [name, setName] = useState("");
  const calls = room.dialOuts.value;
  return (
    <section class="room-call-out" aria-label={room.t("room.callOut")}>
      {open
        ? (
          <form
            class="room-host-form"
            data-action="call-out-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (room.dialOut(target, name)) {
                setTarget("");
                setName("");
                setOpen(false);
              }
            }}
          >
            <label>
              {room.t("room.callTarget")}{" "}
              <input
                name="target"
                value={target}
                required
                maxLength={256}
                placeholder={room.t("room.callTargetExample")}
                autocomplete="off"
                onInput={(e) => setTarget((e.currentTarget as HTMLInputElement).value)}
              />
            </label>
            <label>
              {room.t("room.callName")}{" "}
              <input
                name="name"
                value={name}
                maxLength={60}
                placeholder={room.t("room.optional")}
                onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
              />
            </label>
            <button type="submit" class="button small">{room.t("room.call")}</button>
            <button type="button" class="button small secondary" onClick={() => setOpen(false)}>
              {room.t("room.cancel")}
            </button>
          </form>
        )
        : (
          <button type="button" class="button small secondary" data-action="call-out" onClick={() => setOpen(true)}>
            {room.t("room.callOut")}
          </button>
        )}
      {calls.length > 0 && (
        <ul class="room-call-status" aria-live="polite">
          {calls.map((c) => (
            <li key={c.callId} data-call-id={c.callId} data-status={c.status}>
              <span class="room-participant-name">{c.name}</span> <span class="room-role">{c.target}</span>{" "}
              <span class={c.status === "answered" ? "room-state-on" : "room-state-off"}>
                {room.t(STATUS_TEXT[c.status])}
                {c.reason && c.status !== "answered" && c.status !== "ringing" ? ` (${c.reason})` : ""}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
