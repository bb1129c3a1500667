import assert from "node:assert/strict";
import {
  ARGON2_PARAMS,
  DUMMY_HASH,
  dummyVerify,
  hashPassword,
  loadNativeBackend,
  passwordBackend,
  verifyPassword,
  wasmBackend,
} from "./password.ts";

const PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

Deno.test("hashPassword writes an Argon2id PHC string with OWASP parameters and a fresh salt", async () => {
  const a = await hashPassword("correct horse battery staple");
  const b = await hashPassword("correct horse battery staple");
  assert.match(a, PHC);
  assert.notEqual(a, b, "two hashes of one password must differ by salt");
  assert.equal(ARGON2_PARAMS.memoryCost, 19456);
});

Deno.test("verifyPassword accepts the right password and refuses a wrong one", async () => {
  const hash = await hashPassword("correct horse battery staple");
  assert.ok(await verifyPassword(hash, "correct horse battery staple"));
  assert.ok(!(await verifyPassword(hash, "correct horse battery stapl")));
  assert.ok(!(await verifyPassword(hash, "")));
});

Deno.test("verifyPassword returns false for malformed hashes instead of throwing", async () => {
  assert.ok(!(await verifyPassword("", "x")));
  assert.ok(!(await verifyPassword("$argon2id$garbage", "x")));
  assert.ok(!(await verifyPassword("plaintext", "plaintext")));
});

Deno.test("the native module loads here and is the backend in use", async () => {
  const native = await loadNativeBackend();
  assert.ok(native, "@node-rs/argon2 should load in this environment");
  assert.equal((await passwordBackend()).name, "native");
});

Deno.test("native and WASM hashes verify each other", async () => {
  const native = (await loadNativeBackend())!;
  const pw = "Zwölf Boxkämpfer jagen Viktor 🥊";
  const fromNative = await native.hash(pw);
  const fromWasm = await wasmBackend.hash(pw);
  assert.match(fromNative, PHC);
  assert.match(fromWasm, PHC);
  assert.ok(await wasmBackend.verify(fromNative, pw), "WASM verifies a native hash");
  assert.ok(await native.verify(fromWasm, pw), "native verifies a WASM hash");
  assert.ok(!(await wasmBackend.verify(fromNative, pw + "!")));
  assert.ok(!(await native.verify(fromWasm, pw + "!")));
});

Deno.test("dummyVerify uses a real hash with current parameters and always says no", async () => {
  assert.match(DUMMY_HASH, PHC);
  assert.equal(await dummyVerify("anything"), false);
});
