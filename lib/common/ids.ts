// Identifiers and random tokens.

import { monotonicFactory } from "ulid";

// One monotonic factory for the whole process: ids made in the same millisecond (or while the
// clock steps back) still increase, so KV keys built from them list in creation order.
const monotonicUlid = monotonicFactory();

/**
 * A new ULID, strictly greater than every id this process made before: sortable by creation time,
 * used for every stored record's id.
 */
export function newId(): string {
  return monotonicUlid();
}

// Random tokens live with the other random helpers; re-exported so stores keep importing ids.ts.
export { randomToken } from "./random.ts";

/** SHA-256 of a token, hex: what we store for bearer secrets (session ids, reset links, API tokens). */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Compares two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}
