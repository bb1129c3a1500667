// Invitation emails (iMIP): text + HTML + a `text/calendar; method=…` part whose METHOD matches the
// VCALENDAR's. New invitations and updates are REQUESTs, cancellations CANCELs, all with the series UID.
// Each is written in the invitee's language: their account's when the address is a confirmed
// account's, else the host's account's, else English (subject, text, HTML and the .ics DESCRIPTION).

import type { Config } from "../common/config.ts";
import { formatMeetingId } from "../meetings/store.ts";
import type { Meeting } from "../meetings/store.ts";
import { getUserByEmail } from "../accounts/users.ts";
import type { User } from "../accounts/users.ts";
import type { Mailer, MailMessage } from "../email/mailer.ts";
import type { Store } from "../common/store.ts";
import { langAttributes, mailLocale, translateHtml } from "../email/i18n.ts";
import type { Locale } from "../email/i18n.ts";
import { translator } from "../i18n/translate.ts";
import { logger } from "../common/log.ts";
import { cleanLine, cleanText } from "../common/text.ts";
import { buildCancel, buildRequest, joinDetails, meetingJoinUrl } from "./ics.ts";
import type { IcsContext } from "./ics.ts";
import { summarizeRecurrence, summaryCatalog } from "./summary.ts";
import type { Invitee, Schedule } from "./schedule.ts";
import { parseLocal, toUtcMs } from "./tz.ts";

const log = logger("scheduling");

/**
 * Thrown when someone whose email is not confirmed tries to send invitations. Its message is a
 * message key (lib/i18n/message.ts): the pages say it in their language, the API in English.
 */
export class UnverifiedOrganizer extends Error {
  constructor() {
    super("meetings.error.unverified");
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
export function dialInLine(didNumber: string, meeting: Meeting, locale: Locale = "en"): string {
  if (!didNumber) return "";
  return translator(locale)("mail.join.phone", {
    number: didNumber,
    id: formatMeetingId(meeting.meetingId),
    passcode: meeting.passcode,
  });
}

export function rsvpUrl(publicUrl: string, invitee: Invitee, answer: "accept" | "decline"): string {
  return `${publicUrl}/rsvp/${encodeURIComponent(invitee.token)}?answer=${answer}`;
}

/**
 * "Monday, 2 March 2026 at 09:00 (America/New_York)" for a wall-clock time in its zone, in
 * `locale` ("Montag, 2. März 2026 um 09:00" in German; English is written the British way).
 */
export function formatWhen(local: string, zone: string, locale: Locale = "en"): string {
  const ms = toUtcMs(zone, parseLocal(local)!);
  const text = new Intl.DateTimeFormat(locale === "en" ? "en-GB" : locale, {
    timeZone: zone,
    dateStyle: "full",
    timeStyle: "short",
  })
    .format(new Date(ms));
  return `${text} (${zone})`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export interface InvitationDeps {
  config: Config;
  mailer: Mailer;
  /** Where invitees' accounts are looked up for their language; without it, the host's language. */
  kv?: Store;
}

export type InvitationKind = "new" | "update";

function context(deps: InvitationDeps, host: User): IcsContext {
  return {
    publicUrl: deps.config.publicUrl,
    sipHost: sipHostOf(deps.config),
    organizer: { name: host.name, email: host.email },
  };
}

/**
 * The language to write to each invitee in: their account's when the address belongs to an
 * enabled account that confirmed it (so nobody picks the language of mail to an address they do
 * not own), else the host's, else English.
 */
async function inviteeLocales(deps: InvitationDeps, host: User, recipients: Invitee[]): Promise<Locale[]> {
  const { kv } = deps;
  if (!kv) return recipients.map(() => mailLocale(host));
  return await Promise.all(recipients.map(async (invitee) => {
    const account = await getUserByEmail(kv, invitee.email);
    const own = account && account.emailVerified && !account.disabled ? account : null;
    return mailLocale(own, host);
  }));
}

/** Builds a value once per language (the .ics of an invitation is the same for everyone speaking it). */
function perLocale<T>(build: (locale: Locale) => T): (locale: Locale) => T {
  const built = new Map<Locale, T>();
  return (locale) => {
    if (!built.has(locale)) built.set(locale, build(locale));
    return built.get(locale)!;
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
  locale: Locale,
): string {
  const t = translator(locale);
  const html = (key: Parameters<typeof t>[0], values: Record<string, string>) =>
    translateHtml(t, key, values, { escape: escapeHtml });
  const join = meetingJoinUrl(publicUrl, meeting);
  const phone = dialInLine(didNumber, meeting, locale);
  return [
    `<p><a href="${escapeHtml(join)}">${escapeHtml(t("mail.join.button"))}</a><br>${escapeHtml(join)}</p>`,
    `<p>${html("mail.join.meetingId", { id: formatMeetingId(meeting.meetingId) })}<br>${
      html("mail.join.passcode", { passcode: meeting.passcode })
    }`,
    sipHost ? `<br>${html("mail.join.sip", { uri: `sip:${meeting.meetingId}*${meeting.passcode}@${sipHost}` })}` : "",
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
  const icsIn = perLocale((locale) =>
    buildRequest({ meeting, schedule: item.schedule, organizer: ctx.organizer }, { ...ctx, locale })
  );
  // The mail shows text that may predate input cleaning: one line for title and name, LF-only lines
  // for the description, so nothing in them reads as a header or an extra line of the invitation.
  const { title, hostName, schedule } = shown(item);
  const didNumber = dialInNumberOf(deps.config);
  const locales = await inviteeLocales(deps, host, recipients);
  const messages = recipients.map((invitee, i): MailMessage => {
    const locale = locales[i];
    const t = translator(locale);
    // The recurrence in words, in the reader's language too (lib/scheduling/summary.ts).
    const repeat = summarizeRecurrence(schedule, summaryCatalog(locale));
    const html = (key: Parameters<typeof t>[0], values: Record<string, string | number>, strong?: string) =>
      translateHtml(t, key, values, {
        escape: escapeHtml,
        wrap: strong ? { [strong]: (h) => `<strong>${h}</strong>` } : {},
      });
    const when = formatWhen(schedule.startsAt, schedule.timeZone, locale);
    const subject = t(kind === "new" ? "mail.invite.subjectNew" : "mail.invite.subjectUpdate", { title, when });
    const lead = kind === "new" ? "mail.invite.leadNew" : "mail.invite.leadUpdate";
    const leadValues = { host: hostName, email: host.email, title };
    const phone = dialInLine(didNumber, meeting, locale);
    // The dial-in number goes after the SIP line (before the description, which ends the block).
    const details = withDialIn(joinDetails(meeting, schedule, ctx.publicUrl, ctx.sipHost, locale), phone, schedule);
    const accept = rsvpUrl(ctx.publicUrl, invitee, "accept");
    const decline = rsvpUrl(ctx.publicUrl, invitee, "decline");
    const text = [
      t(lead, leadValues),
      "",
      t("mail.invite.when", { when }),
      t("mail.invite.length", { minutes: schedule.durationMinutes }),
      t("mail.invite.repeats", { summary: repeat }),
      "",
      details,
      "",
      `${t("mail.invite.accept")}: ${accept}`,
      `${t("mail.invite.decline")}: ${decline}`,
      "",
    ].join("\n");
    const body = [
      `<div ${langAttributes(locale)}>`,
      `<p>${html(lead, leadValues, "title")}</p>`,
      `<p>${html("mail.invite.when", { when })}<br>${
        html("mail.invite.length", { minutes: schedule.durationMinutes })
      }`,
      `<br>${html("mail.invite.repeats", { summary: repeat })}</p>`,
      detailsHtml(meeting, schedule, ctx.publicUrl, ctx.sipHost ?? "", didNumber, locale),
      `<p><a href="${escapeHtml(accept)}">${escapeHtml(t("mail.invite.accept"))}</a> · `,
      `<a href="${escapeHtml(decline)}">${escapeHtml(t("mail.invite.decline"))}</a></p>`,
      `</div>`,
    ].join("");
    return { to: invitee.email, subject, text, html: body, calendar: { method: "REQUEST", content: icsIn(locale) } };
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
  const one = Boolean(opts.recurrenceId || !schedule.rrule);
  const locales = await inviteeLocales(deps, host, recipients);
  const messages = recipients.map((invitee, i): MailMessage => {
    const locale = locales[i];
    const t = translator(locale);
    const when = formatWhen(opts.recurrenceId ?? schedule.startsAt, schedule.timeZone, locale);
    const subject = one ? t("mail.cancel.subjectWhen", { title, when }) : t("mail.cancel.subject", { title });
    const ics = buildCancel(calItem, {
      recurrenceId: opts.recurrenceId,
      to: opts.removedOnly ? [invitee] : undefined,
    });
    const lead = opts.removedOnly
      ? t("mail.cancel.removed", { host: hostName, title })
      : one
      ? t("mail.cancel.occurrence", { host: hostName, when, title })
      : t("mail.cancel.series", { host: hostName, title });
    const note = t("mail.cancel.note");
    return {
      to: invitee.email,
      subject,
      text: `${lead}\n\n${note}\n`,
      html: `<div ${langAttributes(locale)}><p>${escapeHtml(lead)}</p><p>${escapeHtml(note)}</p></div>`,
      calendar: { method: "CANCEL", content: ics },
    };
  });
  return await deliver(deps.mailer, messages);
}
