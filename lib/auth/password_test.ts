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

// Small local assertions: node:assert would pull @types/node into `deno check`, which node_modules lacks.
function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new Error(message);
}
assert.equal = (actual: unknown, expected: unknown, message?: string) =>
  assert(Object.is(actual, expected), message ?? `expected ${String(expected)}, got ${String(actual)}`);
assert.notEqual = (actual: unknown, other: unknown, message?: string) =>
  assert(!Object.is(actual, other), message ?? `expected something other than ${String(other)}`);
assert.match = (text: string, re: RegExp, message?: string) => assert(re.test(text), message ?? `${text} !~ ${re}`);

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
  assert(await verifyPassword(hash, "correct horse battery staple"));
  assert(!(await verifyPassword(hash, "correct horse battery stapl")));
  assert(!(await verifyPassword(hash, "")));
});

Deno.test("verifyPassword returns false for malformed hashes instead of throwing", async () => {
  assert(!(await verifyPassword("", "x")));
  assert(!(await verifyPassword("$argon2id$garbage", "x")));
  assert(!(await verifyPassword("plaintext", "plaintext")));
});

Deno.test("the native module loads here and is the backend in use", async () => {
  const native = await loadNativeBackend();
  assert(native, "@node-rs/argon2 should load in this environment");
  assert.equal((await passwordBackend()).name, "native");
});

Deno.test("native and WASM hashes verify each other", async () => {
  const native = (await loadNativeBackend())!;
  const pw = "Zwölf Boxkämpfer jagen Viktor 🥊";
  const fromNative = await native.hash(pw);
  const fromWasm = await wasmBackend.hash(pw);
  assert.match(fromNative, PHC);
  assert.match(fromWasm, PHC);
  assert(await wasmBackend.verify(fromNative, pw), "WASM verifies a native hash");
  assert(await native.verify(fromWasm, pw), "native verifies a WASM hash");
  assert(!(await wasmBackend.verify(fromNative, pw + "!")));
  assert(!(await native.verify(fromWasm, pw + "!")));
});

Deno.test("dummyVerify uses a real hash with current parameters and always says no", async () => {
  assert.match(DUMMY_HASH, PHC);
  assert.equal(await dummyVerify("anything"), false);
});
