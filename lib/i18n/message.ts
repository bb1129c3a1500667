// A message for a person as rules and domain errors give it: a catalog key and the values of its
// placeholders, never finished text, so each reader says it in its own language (pages in the
// request's, the API in English). Where only a string fits (zod issue messages, field errors, an
// error's message) it travels as one: the key alone, or the key followed by its values as JSON
// (`meetings.error.maxChars{"max":200}`); keys never hold a "{".

import { type MessageKey, splitMessage, type Translate } from "./client.ts";
import { isMessageKey, translator } from "./translate.ts";

export type MessageValues = Record<string, string | number>;

/** `key` with `values`, as one string (what a zod rule or a domain error carries). */
export function message(key: MessageKey, values?: MessageValues): string {
  return values && Object.keys(values).length ? `${key}${JSON.stringify(values)}` : key;
}

/** The key and values a string made by `message` holds, or null for any other text. */
export function readMessage(text: string): { key: MessageKey; values?: MessageValues } | null {
  const m = splitMessage(text);
  return m && isMessageKey(m.key) ? { key: m.key, ...(m.values ? { values: m.values } : {}) } : null;
}

/** `text` said with `t`: a message (key, or key with values) translated, other text as it is. */
export function say(t: Translate, text: string): string {
  const m = readMessage(text);
  return m ? t(m.key, m.values) : text;
}

/** `text` in English, what the API answers (its messages never show raw keys). */
export function english(text: string): string {
  return say(translator("en"), text);
}
