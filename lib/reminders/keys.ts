// KV key builders for web push and reminders: the only place these key shapes are written down.

export const pushKeys = {
  /** The server's VAPID key pair, created once (atomically) unless configured by environment. */
  vapid: () => ["push", "vapid"] as const,

  /** One browser push subscription, keyed by the SHA-256 of its endpoint (one record per device). */
  subscription: (id: string) => ["push_subscriptions", id] as const,
  subscriptionsByUser: (userId: string) => ["push_subscriptions_by_user", userId] as const,
  subscriptionByUser: (userId: string, id: string) => ["push_subscriptions_by_user", userId, id] as const,

  /** A person's chosen reminder offsets (minutes before a meeting starts). */
  reminderPrefs: (userId: string) => ["reminder_prefs", userId] as const,

  /** The reminder plan's sequence for one meeting; queued reminders carrying an older one are stale. */
  plan: (meetingId: string) => ["reminder_plan", meetingId] as const,
  /** Meetings whose reminders mention a person, so changing their offsets re-plans those meetings. */
  plannedMeetingsByUser: (userId: string) => ["reminder_meetings_by_user", userId] as const,
  plannedMeetingByUser: (userId: string, meetingId: string) =>
    ["reminder_meetings_by_user", userId, meetingId] as const,

  /** Which channel (push or email) one person's reminder went out on, decided once. */
  reminderChannel: (person: string, meetingId: string, startMs: number, offset: number) =>
    ["reminder_channel", person, meetingId, startMs, offset] as const,
  /** The "sent" marker of one reminder on one channel (a push subscription or an email address). */
  reminderSent: (channel: string, meetingId: string, startMs: number, offset: number) =>
    ["reminder_sent", channel, meetingId, startMs, offset] as const,
};
