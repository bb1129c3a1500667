// What the app needs from email delivery; lib/email/ provides SMTP and the development outbox.

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /**
   * An iCalendar part (iMIP, RFC 6047): sent as a `text/calendar; method=…` alternative beside text
   * and HTML (and as an .ics attachment), so calendar clients offer accept/decline.
   */
  calendar?: CalendarPart;
}

export interface CalendarPart {
  /** Must equal the METHOD inside `content`. */
  method: "REQUEST" | "CANCEL" | "PUBLISH" | "REPLY";
  /** The VCALENDAR text. */
  content: string;
  /** Attachment name; defaults to invite.ics. */
  filename?: string;
}

export interface Mailer {
  /** Sends one message; throws when delivery is refused so the caller can report it. */
  send(message: MailMessage): Promise<void>;
}
