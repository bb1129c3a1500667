// What the app needs from email delivery; lib/email/ provides SMTP and the development outbox.

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  /** Sends one message; throws when delivery is refused so the caller can report it. */
  send(message: MailMessage): Promise<void>;
}
