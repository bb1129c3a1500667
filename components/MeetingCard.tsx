// One meeting in a host's list: title, meeting ID, passcode, state, and the way back in.

import { formatMeetingId } from "../lib/meetings/store.ts";
import type { Meeting } from "../lib/meetings/store.ts";

export function MeetingCard({ meeting }: { meeting: Meeting }) {
  const ended = meeting.status === "ended";
  return (
    <li class={ended ? "meeting-card ended" : "meeting-card"}>
      <div class="meeting-card-main">
        <strong class="meeting-title">{meeting.title}</strong>
        <span class="meeting-id">{formatMeetingId(meeting.meetingId)}</span>
      </div>
      <div class="meeting-card-meta">
        {ended ? <span class="meeting-status">Ended</span> : (
          <>
            <span class="meeting-passcode">Passcode {meeting.passcode}</span>{" "}
            <a class="button small" href={`/m/${meeting.meetingId}`}>Open</a>
          </>
        )}
        <time datetime={meeting.createdAt}>{meeting.createdAt.slice(0, 16).replace("T", " ")} UTC</time>
      </div>
    </li>
  );
}
