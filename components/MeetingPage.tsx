// The server-rendered frame of a meeting: the #meeting-root container the in-meeting island (a
// full-viewport app: pre-join, meeting, end screen) renders into, passed as children, and what
// people without JavaScript get instead (the meeting's name, the invitation, Leave and End).

import type { ComponentChildren } from "preact";
import { Form } from "./Form.tsx";
import { usePage } from "../lib/web/page_context.ts";
import type { MeetingRoomProps } from "../lib/meetings/client/controller.ts";

/** Props the frame takes: the in-meeting island's (lib/meetings/client/controller.ts), one shape for both. */
export type MeetingPageProps = MeetingRoomProps;

export function MeetingPage(props: MeetingPageProps & { children?: ComponentChildren }) {
  const { meeting, invite } = props;
  const canEnd = props.me.role === "host" || props.me.role === "cohost";
  const { t } = usePage();
  return (
    <div
      id="meeting-root"
      data-meeting-id={meeting.meetingId}
      data-socket-path={props.socketPath}
      data-media-path={props.mediaPath}
      class="meeting-app"
    >
      {props.children}
      <noscript>
        <section class="card narrow meeting-noscript">
          <h2>{meeting.title}</h2>
          <p class="notice error">{t("meetings.noscript.needsJs")}</p>
          {invite && (
            <p>
              {t("meetings.noscript.invitation", {
                url: invite.url,
                id: meeting.formattedId,
                passcode: invite.passcode,
              })}
            </p>
          )}
          {/* Without JavaScript the island's own Leave / End controls are missing: offer them here. */}
          <p class="meeting-actions">
            <a href="/" class="button secondary">{t("room.leave")}</a>
            {canEnd && (
              <Form action={`/m/${meeting.meetingId}/end`} class="inline">
                <button type="submit" class="danger">{t("meetings.noscript.endForAll")}</button>
              </Form>
            )}
          </p>
        </section>
      </noscript>
    </div>
  );
}
