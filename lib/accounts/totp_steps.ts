// The accounts capability's store module for TOTP replay protection: the last accepted time step
// per person, so a code is accepted at most once.

import type { Store, StoreAtomic } from "../common/store.ts";
import { keys } from "./keys.ts";
import { commitAtomic, KvConflict } from "../common/kv.ts";

/**
 * Records `step` as the person's last accepted one if it is newer than the stored one; atomic
 * (versionstamp-checked), so of two concurrent uses of one step exactly one gets true.
 */
export async function acceptTotpStep(kv: Store, userId: string, step: number): Promise<boolean> {
  const key = keys.totpLastStep(userId);
  for (let attempt = 0; attempt < 5; attempt++) {
    const last = await kv.get<number>(key);
    if (last.value !== null && last.value >= step) return false;
    // Lost: a concurrent use stored its step (the next read refuses this one) or the database was busy.
    if ((await commitAtomic(kv.atomic().check(last).set(key, step))).ok) return true;
  }
  throw new KvConflict(`acceptTotpStep ${userId}`);
}

/** Adds forgetting the person's last accepted step to `op` (when two-factor is turned off). */
export function deleteTotpStepInto(op: StoreAtomic, userId: string): StoreAtomic {
  return op.delete(keys.totpLastStep(userId));
}
