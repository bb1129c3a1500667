// One meeting in a dashboard list (upcoming occurrences, recent meetings): when, what, its state
// and what the viewer can do — join, copy the link, and for a scheduled meeting's host edit or
// cancel (through the confirmation page). Semantic list items; the page supplies the <ul>.

import { formatMeetingId } from "../lib/meetings/store.ts";
import { CopyButton } from "../islands/mod.ts";
import { copyWords } from "../islands/CopyButton.tsx";
import { usePage } from "../lib/web/page_context.ts";
import type { Translate } from "../lib/i18n/client.ts";

export type MeetingState =
  | { kind: "not-started" }
  | { kind: "scheduled" }
  | { kind: "starting-soon" }
  | { kind: "live"; present: number; capped: boolean }
  | { kind: "open" }
  | { kind: "ended" }
  | { kind: "cancelled" };

export interface MeetingRowProps {
  meetingId: string;
  title: string;
  /** Already in the viewer's zone and language ("Tue 9 Dec, 09:00–09:30"), and the instant for <time datetime>. */
  when: { text: string; iso: string } | null;
  state: MeetingState;
  /** Shown when joining makes sense now (live, or within 10 minutes of the start). */
  joinUrl?: string;
  /** The link to share (copied by the CopyButton island). */
  shareUrl?: string;
  /** A scheduled meeting's host: its schedule page and the cancel confirmation. */
  manage?: { editHref: string; cancelHref: string };
  role?: "host" | "invitee";
}

function stateText(s: MeetingState, t: Translate): string {
  switch (s.kind) {
    case "not-started":
      return t("meetings.state.notStarted");
    case "scheduled":
      return t("meetings.state.scheduled");
    case "starting-soon":
      return t("meetings.state.startingSoon");
    case "live":
      return s.present > 0
        ? t("meetings.state.liveCount", { count: s.present, more: s.capped ? "+" : "" })
        : t("meetings.state.live");
    case "open":
      return t("meetings.state.open");
    case "ended":
      return t("meetings.state.ended");
    case "cancelled":
      return t("meetings.state.cancelled");
  }
}

const STATE_TONE: Record<MeetingState["kind"], string> = {
  "not-started": "badge muted",
  scheduled: "badge",
  "starting-soon": "badge warn",
  live: "badge ok",
  open: "badge muted",
  ended: "badge muted",
  cancelled: "badge danger",
};

export function MeetingCard(p: MeetingRowProps) {
  const { t } = usePage();
  return (
    <li class={`meeting-row state-${p.state.kind}`} data-meeting-id={p.meetingId}>
      <span class="meeting-row-when">
        {p.when ? <time datetime={p.when.iso}>{p.when.text}</time> : "—"}
      </span>
      <span class="meeting-row-what">
        <strong class="meeting-row-title">{p.title}</strong>
        <span class="meeting-row-id">
          <span dir="ltr">{formatMeetingId(p.meetingId)}</span>
          {p.role === "invitee" ? ` · ${t("meetings.card.invited")}` : ""}
        </span>
      </span>
      <span class={`meeting-row-state ${STATE_TONE[p.state.kind]}`}>{stateText(p.state, t)}</span>
      <span class="meeting-row-actions">
        {p.joinUrl && <a class="button small meeting-join" href={p.joinUrl}>{t("join.submit")}</a>}
        {p.shareUrl && <CopyButton text={p.shareUrl} label={t("meetings.card.copyLink")} words={copyWords(t)} />}
        {p.manage && (
          <>
            <a class="button small secondary meeting-edit" href={p.manage.editHref}>{t("meetings.card.edit")}</a>
            <a class="button small danger meeting-cancel" href={p.manage.cancelHref}>{t("meetings.card.cancel")}</a>
          </>
        )}
      </span>
    </li>
  );
}
