// The pre-join screen of someone not let in yet (a guest with an invitation link, or a member who
// still needs the passcode): the meeting's name, the in-meeting island's checks (camera preview,
// microphone level, devices, speaker test, camera / microphone off) and beside them the server's
// form (name, passcode) whose button says whether a host has to let them in. Without JavaScript the
// form alone still works.

import type { MeetingRoomProps } from "../lib/meetings/client/controller.ts";
import { MeetingRoom } from "../islands/mod.ts";
import { JoinForm } from "./JoinForm.tsx";
import type { JoinFormProps } from "./JoinForm.tsx";
import { usePage } from "../lib/web/page_context.ts";
import { islandI18n, ROOM_PREFIXES } from "../lib/i18n/translate.ts";

export interface EntryPageProps {
  meeting: MeetingRoomProps["meeting"];
  form: JoinFormProps;
  /** A host lets people in (lobby or lock): the button says "Ask to join". */
  asksToJoin: boolean;
  locked: boolean;
  /** The meeting is being recorded: said before they enter. */
  recording: boolean;
  /** Where a guest signs in instead (null when signed in). */
  signInHref: string | null;
}

export function EntryPage(p: EntryPageProps) {
  const { locale, t } = usePage();
  const room: MeetingRoomProps = {
    meeting: p.meeting,
    me: { participantName: p.form.values?.name ?? "", role: "guest" },
    invite: null,
    socketPath: "",
    mediaPath: "",
    preview: true,
    i18n: islandI18n(locale, ROOM_PREFIXES),
  };
  return (
    <div class="room-start room-entry-page">
      <header class="room-start-head">
        <h1>{p.meeting.title}</h1>
        <p class="meeting-id">{t("join.meetingIdLine", { id: p.meeting.formattedId })}</p>
      </header>
      <div class="room-prejoin">
        <div id="meeting-root" data-meeting-id={p.meeting.meetingId} class="meeting-app">
          <MeetingRoom {...room} />
        </div>
        <div class="room-prejoin-side">
          {p.locked && (
            <p class="notice warn room-locked-notice" data-locked="true">
              {t("entry.locked")}
            </p>
          )}
          {p.recording && (
            <p class="notice warn room-recording-prejoin" data-recording="true">
              <span class="room-rec-dot" aria-hidden="true"></span> {t("room.preJoinRecording")}
            </p>
          )}
          <JoinForm
            {...p.form}
            heading={t("entry.ready")}
            submitLabel={p.asksToJoin ? t("entry.askToJoin") : t("entry.joinNow")}
            formClass="room-entry-form"
          />
          {p.signInHref && (
            <p>
              {t("entry.signInPrompt")} <a href={p.signInHref}>{t("entry.signInLink")}</a> {t("entry.signInRest")}
            </p>
          )}
        </div>
      </div>
    </div>
  );
}
