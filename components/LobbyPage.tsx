// The lobby's waiting page: the in-meeting island in its `waiting` mode (the pre-join checks while
// it follows the lobby socket; it reloads the page once a host lets the person in), and what people
// without JavaScript get instead.

import type { ComponentChildren } from "preact";
import type { MeetingPageProps } from "./MeetingPage.tsx";

export function LobbyPage(props: MeetingPageProps & { knockedAt: string; children?: ComponentChildren }) {
  const { meeting, me } = props;
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
            Hi {me.participantName}, please wait: the host will let you in soon. Waiting since{" "}
            <time datetime={props.knockedAt}>{props.knockedAt.slice(11, 16)} UTC</time>.
          </p>
          <p>
            This page updates by itself with JavaScript. Without it, <a href={`/m/${meeting.meetingId}`}>check again</a>
            {" "}
            in a moment, or <a href="/">leave</a>.
          </p>
        </section>
      </noscript>
    </div>
  );
}
