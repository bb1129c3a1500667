// The server-rendered frame of a meeting: title, meeting ID, the invitation for hosts, and the
// #meeting-root container the in-meeting island renders into (passed as children).

import type { ComponentChildren } from "preact";
import { Form } from "./Form.tsx";
import { CopyButton } from "../islands/mod.ts";
import type { MeetingRoomProps } from "../lib/meetings/client/controller.ts";

/** Props the frame takes: the in-meeting island's (lib/meetings/client/controller.ts), one shape for both. */
export type MeetingPageProps = MeetingRoomProps;

export function MeetingPage(props: MeetingPageProps & { children?: ComponentChildren }) {
  const { meeting, me, invite } = props;
  const canEnd = me.role === "host" || me.role === "cohost";
  return (
    <section class="meeting">
      <header class="meeting-header">
        <h1>{meeting.title}</h1>
        <p class="meeting-id">
          Meeting ID <strong>{meeting.formattedId}</strong>
        </p>
        <p class="meeting-me">
          You are {me.participantName}
          {canEnd ? ` (${me.role === "host" ? "host" : "co-host"})` : ""}
        </p>
      </header>
      {canEnd && (
        <nav class="meeting-downloads" aria-label="Meeting records">
          <a href={`/meetings/${meeting.meetingId}/transcript.txt`}>Chat transcript</a>{" "}
          <a href={`/meetings/${meeting.meetingId}/attendance.csv`}>Attendance (CSV)</a>
        </nav>
      )}
      {invite && (
        <aside class="meeting-invite">
          <h2>Invite people</h2>
          <p>
            Link: <a href={invite.url} class="invite-url">{invite.url}</a>{" "}
            <CopyButton text={invite.url} label="Copy link" />
          </p>
          <p>
            Or join with meeting ID <strong>{meeting.formattedId}</strong> and passcode{" "}
            <strong class="invite-passcode">{invite.passcode}</strong>
          </p>
          {invite.sipUri && (
            <p>
              From a SIP phone or room system: <strong class="invite-sip">{invite.sipUri}</strong>{" "}
              <CopyButton text={invite.sipUri} label="Copy SIP address" />
            </p>
          )}
          {invite.dialInNumber && (
            <p>
              By phone: call{" "}
              <strong class="invite-dial-in">{invite.dialInNumber}</strong>, then enter the meeting ID and passcode
              followed by #
            </p>
          )}
        </aside>
      )}
      <div
        id="meeting-root"
        data-meeting-id={meeting.meetingId}
        data-socket-path={props.socketPath}
        data-media-path={props.mediaPath}
      >
        {props.children}
        <noscript>
          <p class="notice error">Talkspace meetings need JavaScript for audio and video. Turn it on and reload.</p>
          {/* Without JavaScript the island's own Leave / End controls are missing: offer them here. */}
          <footer class="meeting-actions">
            <a href="/" class="button secondary">Leave</a>
            {canEnd && (
              <Form action={`/m/${meeting.meetingId}/end`} class="inline">
                <button type="submit" class="danger">End meeting for all</button>
              </Form>
            )}
          </footer>
        </noscript>
      </div>
    </section>
  );
}
