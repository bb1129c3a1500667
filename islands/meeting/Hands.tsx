// Raised hands: the queue for hosts and co-hosts (oldest first, lower one or all), shown at the top
// of the participant list; everyone sees a hand next to the names.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { SmallButton } from "./buttons.tsx";

export function HandsQueue({ room }: { room: MeetingController }) {
  const hands = room.hands.value;
  if (hands.length === 0) return null;
  const isHost = room.isHost.value;
  const me = room.participantId.value;
  const { t } = room;
  return (
    <section class="room-hands" aria-label={t("room.raisedHands")}>
      <h3>
        {t("room.raisedHands")} <span class="room-badge">{hands.length}</span>
      </h3>
      <ol>
        {hands.map((p) => (
          <li key={p.participantId} data-participant-id={p.participantId}>
            <span aria-hidden="true">✋</span> {p.name}
            {p.participantId === me && t("room.youSuffix")}
            {(isHost || p.participantId === me) && (
              <SmallButton
                action="lower-hand"
                secondary
                onClick={() => room.lowerHand(p.participantId)}
              >
                {t("room.lower")}
              </SmallButton>
            )}
          </li>
        ))}
      </ol>
      {isHost && hands.length > 1 && (
        <SmallButton action="lower-all-hands" onClick={() => room.lowerAllHands()}>
          {t("room.lowerAllHands")}
        </SmallButton>
      )}
    </section>
  );
}
