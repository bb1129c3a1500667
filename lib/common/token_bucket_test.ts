import assert from "node:assert/strict";
import { TokenBuckets } from "./token_bucket.ts";

Deno.test("a bucket allows its burst at once, then its rate; keys are apart", () => {
  let now = 0;
  const b = new TokenBuckets({ burst: 3, perSecond: 2 }, () => now);
  assert.deepEqual([b.take("a"), b.take("a"), b.take("a"), b.take("a")], [true, true, true, false]);
  assert.equal(b.take("b"), true, "another key has its own bucket");
  now += 499;
  assert.equal(b.take("a"), false, "just under one token refilled");
  now += 1;
  assert.equal(b.take("a"), true, "half a second at 2/s is one token");
  assert.equal(b.take("a"), false);
  now += 10_000;
  assert.deepEqual(
    [b.take("a"), b.take("a"), b.take("a"), b.take("a")],
    [true, true, true, false],
    "refills to burst, no more",
  );
});
