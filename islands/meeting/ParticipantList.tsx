// Who is in the meeting, with their microphone and camera state and who is talking.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import type { ParticipantRole } from "../../lib/meetings/protocol.ts";

const ROLE_LABEL: Record<ParticipantRole, string | null> = {
  host: "Host",
  cohost: "Co-host",
  participant: null,
  guest: "Guest",
};

export function ParticipantList({ room }: { room: MeetingController }) {
  const me = room.participantId.value;
  const talking = room.speaker.value.talking;
  const people = [...room.roster.value.values()];
  return (
    <aside class="room-sidebar room-participants" aria-label="Participants">
      <h2>Participants ({people.length})</h2>
      <ul>
        {people.map((p) => {
          const role = ROLE_LABEL[p.role];
          return (
            <li
              key={p.participantId}
              class={talking.includes(p.participantId) ? "is-talking" : ""}
              data-participant-id={p.participantId}
            >
              <span class="room-participant-name">
                {p.name}
                {p.participantId === me && " (you)"}
                {role && <span class="room-role">{role}</span>}
              </span>
              <span class="room-participant-state">
                <span class={p.state.audio ? "room-state-on" : "room-state-off"}>
                  {p.state.audio ? "Mic on" : "Muted"}
                </span>
                <span class={p.state.video ? "room-state-on" : "room-state-off"}>
                  {p.state.video ? "Camera on" : "Camera off"}
                </span>
                {p.state.screen && <span class="room-state-on">Sharing</span>}
              </span>
            </li>
          );
        })}
      </ul>
    </aside>
  );
}
