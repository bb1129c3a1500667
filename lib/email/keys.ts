// KV key builders for email: the only place these key shapes are written down.

export const emailKeys = {
  /** One message of the development outbox (ids are ULIDs, so key order is arrival order). */
  outboxMessage: (id: string) => ["dev_outbox", id] as const,
  outbox: () => ["dev_outbox"] as const,
};
