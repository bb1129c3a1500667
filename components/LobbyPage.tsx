// The lobby's waiting page: who you are, which meeting, and the in-meeting island in its `waiting`
// mode (it follows the lobby socket and reloads the page once a host lets the person in).

import type { ComponentChildren } from "preact";
import type { MeetingPageProps } from "./MeetingPage.tsx";

export function LobbyPage(props: MeetingPageProps & { knockedAt: string; children?: ComponentChildren }) {
  const { meeting, me } = props;
  return (
    <section class="card lobby">
      <h1>{meeting.title}</h1>
      <p class="meeting-id">
        Meeting ID <strong>{meeting.formattedId}</strong>
      </p>
      <div
        id="meeting-root"
        class="lobby-root"
        data-meeting-id={meeting.meetingId}
        data-socket-path={props.socketPath}
        data-waiting="true"
      >
        {props.children}
        <noscript>
          {/* The island says all this (and offers Leave) when JavaScript runs. */}
          <p class="lobby-status" role="status">
            Hi {me.participantName}, please wait: the host will let you in soon. Waiting since{" "}
            <time datetime={props.knockedAt}>{props.knockedAt.slice(11, 16)} UTC</time>.
          </p>
          <p>
            This page updates by itself with JavaScript. Without it, <a href={`/m/${meeting.meetingId}`}>check again</a>
            {" "}
            in a moment, or <a href="/">leave</a>.
          </p>
        </noscript>
      </div>
    </section>
  );
}
