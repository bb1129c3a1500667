import assert from "node:assert/strict";
import { redact } from "./log.ts";

Deno.test("log fields named like secrets are redacted; codec and the like are not", () => {
  const out = redact({
    password: "p",
    passcode: "1",
    janusToken: "t",
    adminSecret: "s",
    code: "123456",
    totpCode: "654321",
    recoveryCodes: ["a"],
    cookie: "c",
    authorization: "Bearer x",
    codec: "vp8",
    videoCodec: "h264",
    callId: "c1",
  });
  for (
    const k of ["password", "passcode", "janusToken", "adminSecret", "code", "totpCode", "recoveryCodes", "cookie"]
  ) {
    assert.equal(out[k], "[redacted]", k);
  }
  assert.equal(out.authorization, "[redacted]");
  assert.deepEqual([out.codec, out.videoCodec, out.callId], ["vp8", "h264", "c1"]);
});
