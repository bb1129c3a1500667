// A host's (or co-host's) actions on one participant, opened from the participant list: mute,
// ask to unmute, stop video, rename, make / take back co-host, make host, remove (confirmed).
// What the server allows is checked there again; this only hides what cannot work.

import { useState } from "preact/hooks";
import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import type { ParticipantView } from "../../lib/contracts/meeting_socket.ts";

type Mode = "closed" | "menu" | "rename" | "remove" | "transfer";

export function HostMenu({ room, p }: { room: MeetingController; p: ParticipantView }) {
  const [mode, setMode] = useState<Mode>("closed");
  const [name, setName] = useState(p.name);
  const myRole = room.role.value;
  const isMe = p.participantId === room.participantId.value;
  // Co-hosts cannot act on the host; nobody removes themselves.
  const canModerate = (myRole === "host" || myRole === "cohost") && (myRole === "host" || p.role !== "host");
  const canRenameOnly = isMe && !canModerate;
  if (!canModerate && !canRenameOnly) return null;
  const close = () => setMode("closed");
  const id = p.participantId;
  const phone = p.kind === "phone";
  const menuId = `room-host-menu-${id}`;

  if (mode === "rename") {
    return (
      <form
        class="room-host-form"
        onSubmit={(e) => {
          e.preventDefault();
          room.rename(id, name);
          close();
        }}
      >
        <label>
          New name{" "}
          <input
            name="name"
            value={name}
            maxLength={60}
            required
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="button small">Rename</button>
        <button type="button" class="button small secondary" onClick={close}>Cancel</button>
      </form>
    );
  }
  if (mode === "remove" || mode === "transfer") {
    const removing = mode === "remove";
    return (
      <div class="room-host-form" role="alertdialog" aria-label={removing ? "Confirm removal" : "Confirm new host"}>
        <p>
          {removing
            ? phone
              ? `Hang up on ${p.name}? Their call ends.`
              : `Remove ${p.name} from the meeting? They will not be able to join again.`
            : `Make ${p.name} the host? You will become a co-host.`}
        </p>
        <button
          type="button"
          class={`button small${removing ? " danger" : ""}`}
          data-action={removing ? "confirm-remove" : "confirm-transfer"}
          onClick={() => {
            if (removing) {
              room.removeParticipant(id);
            } else room.transferHost(id);
            close();
          }}
        >
          {removing ? "Remove" : "Make host"}
        </button>
        <button type="button" class="button small secondary" onClick={close}>Cancel</button>
      </div>
    );
  }
  const item = (label: string, action: string, run: () => void, show = true) =>
    show && (
      <li>
        <button
          type="button"
          class="room-menu-item"
          data-action={action}
          onClick={() => {
            // Close first: actions that open a form or a confirmation set their own mode after.
            close();
            run();
          }}
        >
          {label}
        </button>
      </li>
    );
  return (
    <span class="room-host-menu">
      <button
        type="button"
        class="room-menu-toggle"
        aria-expanded={mode === "menu"}
        aria-controls={menuId}
        aria-label={`Actions for ${p.name}`}
        data-action="participant-menu"
        onClick={() => setMode(mode === "menu" ? "closed" : "menu")}
      >
        ⋯
      </button>
      {mode === "menu" && (
        <ul id={menuId} class="room-menu" role="menu">
          {canModerate && !isMe && phone && (
            <>
              {item("Mute", "host-mute", () => room.muteParticipant(id), !p.mutedByHost)}
              {item("Unmute", "host-unmute", () => room.unmuteParticipant(id), p.mutedByHost)}
            </>
          )}
          {canModerate && !isMe && !phone && (
            <>
              {item("Mute", "host-mute", () => room.muteParticipant(id), p.state.audio || !p.mutedByHost)}
              {item("Ask to unmute", "ask-unmute", () => room.askToUnmute(id, "audio"), !p.state.audio)}
              {item("Stop video", "stop-video", () => room.stopVideo(id), p.state.video)}
              {item("Ask to start video", "ask-video", () => room.askToUnmute(id, "video"), !p.state.video)}
              {item(
                "Make co-host",
                "make-cohost",
                () => room.setRole(id, "cohost"),
                myRole === "host" && p.role === "participant",
              )}
              {item(
                "Remove co-host",
                "remove-cohost",
                () => room.setRole(id, "participant"),
                myRole === "host" && p.role === "cohost",
              )}
              {item(
                "Make host",
                "transfer-host",
                () => setMode("transfer"),
                myRole === "host" && (p.role === "participant" || p.role === "cohost"),
              )}
              {item("Lower hand", "lower-hand", () => room.lowerHand(id), !!p.handRaisedAt)}
            </>
          )}
          {item("Rename", "rename", () => setMode("rename"))}
          {item("Remove from meeting", "remove", () => setMode("remove"), canModerate && !isMe && p.role !== "host")}
        </ul>
      )}
    </span>
  );
}
