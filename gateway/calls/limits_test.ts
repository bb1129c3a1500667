// The IVR caps on their own: which answer a new caller gets, and the environment's numbers.

import assert from "node:assert/strict";
import { capBroken, IVR_LIMITS, ivrLimitsFromEnv } from "./limits.ts";

Deno.test("per source 486, overall 503, a source's own count decides before the total", () => {
  const limits = { ...IVR_LIMITS, perSource: 3, total: 5 };
  assert.equal(capBroken(["a", "a"], "a", limits), null);
  assert.equal(capBroken(["a", "a", "a"], "a", limits)?.status, 486);
  assert.equal(capBroken(["a", "a", "a"], "b", limits), null);
  assert.equal(capBroken(["a", "a", "a", "b", "b"], "c", limits)?.status, 503);
  assert.equal(capBroken(["a", "a", "a", "b", "b"], "a", limits)?.status, 486);
  // A trunk (per-source cap lifted by the controller) only meets the overall cap.
  assert.equal(capBroken(["t", "t", "t", "t"], "t", { ...limits, perSource: Infinity }), null);
});

Deno.test("the caps from the environment, with the variable named when one is wrong", () => {
  assert.deepEqual(ivrLimitsFromEnv({}), IVR_LIMITS);
  assert.deepEqual(ivrLimitsFromEnv({ SIP_IVR_MAX_PER_SOURCE: "5", SIP_IVR_TIMEOUT_MS: "1000" }), {
    ...IVR_LIMITS,
    perSource: 5,
    timeoutMs: 1000,
  });
  assert.throws(() => ivrLimitsFromEnv({ SIP_IVR_MAX_CALLS: "0" }), /SIP_IVR_MAX_CALLS must be a whole number ≥ 1/);
  assert.throws(() => ivrLimitsFromEnv({ SIP_IVR_TIMEOUT_MS: "1e3" }), /SIP_IVR_TIMEOUT_MS/);
});
