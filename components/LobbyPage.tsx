// The lobby's waiting page: who you are, which meeting, and the in-meeting island in its `waiting`
// mode (it follows the lobby socket and reloads the page once a host lets the person in).

import type { ComponentChildren } from "preact";
import type { MeetingPageProps } from "./MeetingPage.tsx";

export function LobbyPage(props: MeetingPageProps & { knockedAt: string; children?: ComponentChildren }) {
  const { meeting, me } = props;
  return (
    <section class="card narrow lobby">
      <h1>{meeting.title}</h1>
      <p class="meeting-id">
        Meeting ID <strong>{meeting.formattedId}</strong>
      </p>
      <p class="lobby-status" role="status">
        Hi {me.participantName}, please wait: the host will let you in soon.
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
          <p>
            This page updates by itself with JavaScript. Without it, <a href={`/m/${meeting.meetingId}`}>check again</a>
            {" "}
            in a moment.
          </p>
        </noscript>
      </div>
      <p class="lobby-since">
        Waiting since <time datetime={props.knockedAt}>{props.knockedAt.slice(11, 16)} UTC</time>
      </p>
      <p>
        <a href="/" class="button secondary">Leave</a>
      </p>
    </section>
  );
}
