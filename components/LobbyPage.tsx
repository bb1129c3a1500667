// The lobby's waiting page: the in-meeting island in its `waiting` mode (the pre-join checks while
// it follows the lobby socket; it reloads the page once a host lets the person in), and what people
// without JavaScript get instead.

import type { ComponentChildren } from "preact";
import type { MeetingPageProps } from "./MeetingPage.tsx";
import { Interpolated } from "./Interpolated.tsx";
import { usePage } from "../lib/web/page_context.ts";

export function LobbyPage(props: MeetingPageProps & { knockedAt: string; children?: ComponentChildren }) {
  const { meeting, me } = props;
  const { t } = usePage();
  return (
    <div
      id="meeting-root"
      data-meeting-id={meeting.meetingId}
      data-socket-path={props.socketPath}
      data-waiting="true"
      class="meeting-app lobby-root"
    >
      {props.children}
      <noscript>
        {/* The island says all this (and offers Leave) when JavaScript runs. */}
        <section class="card narrow meeting-noscript">
          <p class="lobby-status" role="status">
            <Interpolated id="meetings.noscript.waiting" slot="time" values={{ name: me.participantName }}>
              <time datetime={props.knockedAt} dir="ltr">{props.knockedAt.slice(11, 16)} UTC</time>
            </Interpolated>
          </p>
          <p>{t("meetings.noscript.lobbyUpdates")}</p>
          <p class="meeting-actions">
            <a href={`/m/${meeting.meetingId}`} class="button">{t("meetings.noscript.checkAgain")}</a>{" "}
            <a href="/" class="button secondary">{t("room.leave")}</a>
          </p>
        </section>
      </noscript>
    </div>
  );
}
