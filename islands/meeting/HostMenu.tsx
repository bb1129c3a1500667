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
  const { t } = room;

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
          {t("room.hostNewName")}{" "}
          <input
            name="name"
            value={name}
            maxLength={60}
            required
            onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="button small">{t("room.hostRename")}</button>
        <button type="button" class="button small secondary" onClick={close}>{t("room.cancel")}</button>
      </form>
    );
  }
  if (mode === "remove" || mode === "transfer") {
    const removing = mode === "remove";
    return (
      <div
        class="room-host-form"
        role="alertdialog"
        aria-label={t(removing ? "room.hostConfirmRemoval" : "room.hostConfirmNewHost")}
      >
        <p>
          {t(
            removing ? (phone ? "room.hostHangUpQuestion" : "room.hostRemoveQuestion") : "room.hostTransferQuestion",
            { name: p.name },
          )}
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
          {t(removing ? "room.hostRemove" : "room.hostMakeHost")}
        </button>
        <button type="button" class="button small secondary" onClick={close}>{t("room.cancel")}</button>
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
        aria-label={t("room.hostActionsFor", { name: p.name })}
        data-action="participant-menu"
        onClick={() => setMode(mode === "menu" ? "closed" : "menu")}
      >
        ⋯
      </button>
      {mode === "menu" && (
        <ul id={menuId} class="room-menu" role="menu">
          {canModerate && !isMe && phone && (
            <>
              {item(t("room.hostMute"), "host-mute", () => room.muteParticipant(id), !p.mutedByHost)}
              {item(t("room.hostUnmute"), "host-unmute", () => room.unmuteParticipant(id), p.mutedByHost)}
            </>
          )}
          {canModerate && !isMe && !phone && (
            <>
              {item(t("room.hostMute"), "host-mute", () => room.muteParticipant(id), p.state.audio || !p.mutedByHost)}
              {item(t("room.hostAskUnmute"), "ask-unmute", () => room.askToUnmute(id, "audio"), !p.state.audio)}
              {item(t("room.hostStopVideo"), "stop-video", () => room.stopVideo(id), p.state.video)}
              {item(t("room.hostAskVideo"), "ask-video", () => room.askToUnmute(id, "video"), !p.state.video)}
              {item(
                t("room.hostMakeCohost"),
                "make-cohost",
                () => room.setRole(id, "cohost"),
                myRole === "host" && p.role === "participant",
              )}
              {item(
                t("room.hostRemoveCohost"),
                "remove-cohost",
                () => room.setRole(id, "participant"),
                myRole === "host" && p.role === "cohost",
              )}
              {item(
                t("room.hostMakeHost"),
                "transfer-host",
                () => setMode("transfer"),
                myRole === "host" && (p.role === "participant" || p.role === "cohost"),
              )}
              {item(t("room.hostLowerHand"), "lower-hand", () => room.lowerHand(id), !!p.handRaisedAt)}
            </>
          )}
          {item(t("room.hostRename"), "rename", () => setMode("rename"))}
          {item(
            t("room.hostRemoveFromMeeting"),
            "remove",
            () => setMode("remove"),
            canModerate && !isMe && p.role !== "host",
          )}
        </ul>
      )}
    </span>
  );
}
