// Invitation emails (iMIP): text + HTML + a `text/calendar; method=…` part whose METHOD matches the
// VCALENDAR's. New invitations and updates are REQUESTs, cancellations CANCELs, all with the series UID.

import type { Config } from "../common/config.ts";
import { formatMeetingId } from "../meetings/store.ts";
import type { Meeting } from "../meetings/store.ts";
import type { User } from "../accounts/users.ts";
import type { Mailer, MailMessage } from "../email/mailer.ts";
import { logger } from "../common/log.ts";
import { cleanLine, cleanText } from "../common/text.ts";
import { buildCancel, buildRequest, joinDetails, meetingJoinUrl } from "./ics.ts";
import type { IcsContext } from "./ics.ts";
import { summarizeRecurrence } from "./summary.ts";
import type { Invitee, Schedule } from "./schedule.ts";
import { parseLocal, toUtcMs } from "./tz.ts";

const log = logger("scheduling");

/** Thrown when someone whose email is not confirmed tries to send invitations. */
export class UnverifiedOrganizer extends Error {
  constructor() {
    super("Confirm your email address before sending invitations (see the link we sent you, or Account → Verify).");
    this.name = "UnverifiedOrganizer";
  }
}

/** The SIP domain people dial (SIP_DOMAIN, PUBLIC_URL's host by default); empty with SIP_DOMAIN=off. */
export function sipHostOf(config: Config): string {
  return config.sipDomain;
}

/** The phone number (SIP_DID_NUMBER) that reaches the dial-in IVR; empty when there is none. */
export function dialInNumberOf(config: Config): string {
  return config.sipDidNumber || "";
}

/** "Dial in by phone: …" with what to type at the prompts, or "" without a dial-in number. */
export function dialInLine(didNumber: string, meeting: Meeting): string {
  if (!didNumber) return "";
  return `Dial in by phone: ${didNumber} (meeting ID ${
    formatMeetingId(meeting.meetingId)
  } #, passcode ${meeting.passcode} #)`;
}

export function rsvpUrl(publicUrl: string, invitee: Invitee, answer: "accept" | "decline"): string {
  return `${publicUrl}/rsvp/${encodeURIComponent(invitee.token)}?answer=${answer}`;
}

/** "Monday, 2 March 2026 at 09:00 (America/New_York)" for a wall-clock time in its zone. */
export function formatWhen(local: string, zone: string): string {
  const ms = toUtcMs(zone, parseLocal(local)!);
  const text = new Intl.DateTimeFormat("en-GB", { timeZone: zone, dateStyle: "full", timeStyle: "short" })
    .format(new Date(ms));
  return `${text} (${zone})`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export interface InvitationDeps {
  config: Config;
  mailer: Mailer;
}

export type InvitationKind = "new" | "update";

function context(deps: InvitationDeps, host: User): IcsContext {
  return {
    publicUrl: deps.config.publicUrl,
    sipHost: sipHostOf(deps.config),
    organizer: { name: host.name, email: host.email },
  };
}

/** Title, host name and description as a mail shows them (cleaned again: stored text may be older than the input rules). */
function shown(item: { meeting: Meeting; schedule: Schedule; host: User }) {
  return {
    title: cleanLine(item.meeting.title).trim(),
    hostName: cleanLine(item.host.name).trim(),
    schedule: { ...item.schedule, description: cleanText(item.schedule.description) },
  };
}

function assertVerified(host: User) {
  if (!host.emailVerified) throw new UnverifiedOrganizer();
}

async function deliver(mailer: Mailer, messages: MailMessage[]): Promise<{ sent: string[]; failed: string[] }> {
  const sent: string[] = [];
  const failed: string[] = [];
  for (const m of messages) {
    try {
      await mailer.send(m);
      sent.push(m.to);
    } catch (err) {
      // One refused address must not stop the others; the organizer sees who was not reached.
      // Invitations are sent once (attempt 1); the organizer is shown who was not reached.
      log.warn("invitation not delivered", { to: m.to, subject: m.subject, attempt: 1, error: String(err) });
      failed.push(m.to);
    }
  }
  return { sent, failed };
}

function detailsHtml(
  meeting: Meeting,
  schedule: Schedule,
  publicUrl: string,
  sipHost: string,
  didNumber: string,
): string {
  const join = meetingJoinUrl(publicUrl, meeting);
  const phone = dialInLine(didNumber, meeting);
  return [
    `<p><a href="${escapeHtml(join)}">Join the meeting</a><br>${escapeHtml(join)}</p>`,
    `<p>Meeting ID: ${escapeHtml(formatMeetingId(meeting.meetingId))}<br>Passcode: ${escapeHtml(meeting.passcode)}`,
    sipHost
      ? `<br>Dial in from a SIP room system: sip:${escapeHtml(`${meeting.meetingId}*${meeting.passcode}@${sipHost}`)}`
      : "",
    phone ? `<br>${escapeHtml(phone)}` : "",
    `</p>`,
    schedule.description.trim() ? `<p>${escapeHtml(schedule.description.trim()).replaceAll("\n", "<br>")}</p>` : "",
  ].join("");
}

/** Inserts the dial-in line into joinDetails' text, before the meeting's description. */
function withDialIn(details: string, phone: string, schedule: Schedule): string {
  if (!phone) return details;
  const description = schedule.description.trim();
  if (!description) return `${details}\n${phone}`;
  const head = details.slice(0, details.length - description.length - 2);
  return `${head}\n${phone}\n\n${description}`;
}

/**
 * Sends a new invitation or an update (METHOD:REQUEST, current SEQUENCE) to each of `recipients`,
 * each with their own accept/decline links. Throws UnverifiedOrganizer (sending nothing) when the
 * host's email is unconfirmed; otherwise reports which addresses were reached.
 */
export async function sendInvitations(
  deps: InvitationDeps,
  item: { meeting: Meeting; schedule: Schedule; host: User },
  recipients: Invitee[],
  kind: InvitationKind,
): Promise<{ sent: string[]; failed: string[] }> {
  if (recipients.length === 0) return { sent: [], failed: [] };
  assertVerified(item.host);
  const { meeting, host } = item;
  const ctx = context(deps, host);
  const ics = buildRequest({ meeting, schedule: item.schedule, organizer: ctx.organizer }, ctx);
  // The mail shows text that may predate input cleaning: one line for title and name, LF-only lines
  // for the description, so nothing in them reads as a header or an extra line of the invitation.
  const { title, hostName, schedule } = shown(item);
  const when = formatWhen(schedule.startsAt, schedule.timeZone);
  const repeat = summarizeRecurrence(schedule);
  const subject = `${kind === "new" ? "Invitation" : "Updated invitation"}: ${title} — ${when}`;
  const didNumber = dialInNumberOf(deps.config);
  const phone = dialInLine(didNumber, meeting);
  // The dial-in number goes after the SIP line (before the description, which ends the block).
  const details = withDialIn(joinDetails(meeting, schedule, ctx.publicUrl, ctx.sipHost), phone, schedule);
  const messages = recipients.map((invitee): MailMessage => {
    const accept = rsvpUrl(ctx.publicUrl, invitee, "accept");
    const decline = rsvpUrl(ctx.publicUrl, invitee, "decline");
    const text = [
      `${hostName} (${host.email}) ${kind === "new" ? "invites you to" : "changed"} "${title}".`,
      "",
      `When: ${when}`,
      `Length: ${schedule.durationMinutes} minutes`,
      `Repeats: ${repeat}`,
      "",
      details,
      "",
      `Accept: ${accept}`,
      `Decline: ${decline}`,
      "",
    ].join("\n");
    const html = [
      `<p>${escapeHtml(hostName)} (${escapeHtml(host.email)}) ${kind === "new" ? "invites you to" : "changed"} `,
      `<strong>${escapeHtml(title)}</strong>.</p>`,
      `<p>When: ${escapeHtml(when)}<br>Length: ${schedule.durationMinutes} minutes<br>Repeats: ${
        escapeHtml(repeat)
      }</p>`,
      detailsHtml(meeting, schedule, ctx.publicUrl, ctx.sipHost ?? "", didNumber),
      `<p><a href="${escapeHtml(accept)}">Accept</a> · <a href="${escapeHtml(decline)}">Decline</a></p>`,
    ].join("");
    return { to: invitee.email, subject, text, html, calendar: { method: "REQUEST", content: ics } };
  });
  return await deliver(deps.mailer, messages);
}

/**
 * Sends a cancellation (METHOD:CANCEL, same UID, current SEQUENCE) of the whole series, or of one
 * occurrence when `recurrenceId` is given, to each of `recipients`. Throws UnverifiedOrganizer
 * (sending nothing) when the host's email is unconfirmed.
 */
export async function sendCancellation(
  deps: InvitationDeps,
  item: { meeting: Meeting; schedule: Schedule; host: User },
  recipients: Invitee[],
  opts: { recurrenceId?: string; removedOnly?: boolean } = {},
): Promise<{ sent: string[]; failed: string[] }> {
  if (recipients.length === 0) return { sent: [], failed: [] };
  assertVerified(item.host);
  const { meeting, schedule, host } = item;
  const ctx = context(deps, host);
  const calItem = { meeting, schedule, organizer: ctx.organizer };
  const { title, hostName } = shown(item);
  const when = formatWhen(opts.recurrenceId ?? schedule.startsAt, schedule.timeZone);
  const what = opts.recurrenceId
    ? `the meeting on ${when}`
    : schedule.rrule
    ? "all meetings of this series"
    : `the meeting on ${when}`;
  const subject = `Cancelled: ${title}${opts.recurrenceId || !schedule.rrule ? ` — ${when}` : ""}`;
  const messages = recipients.map((invitee): MailMessage => {
    const ics = buildCancel(calItem, {
      recurrenceId: opts.recurrenceId,
      to: opts.removedOnly ? [invitee] : undefined,
    });
    const lead = opts.removedOnly
      ? `${hostName} removed you from "${title}".`
      : `${hostName} cancelled ${what} of "${title}".`;
    return {
      to: invitee.email,
      subject,
      text: `${lead}\n\nYour calendar will remove it when you open this message.\n`,
      html: `<p>${escapeHtml(lead)}</p><p>Your calendar will remove it when you open this message.</p>`,
      calendar: { method: "CANCEL", content: ics },
    };
  });
  return await deliver(deps.mailer, messages);
}
