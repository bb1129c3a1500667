// Times one password hash with each option: Argon2id native (@node-rs/argon2), Argon2id WASM
// (hash-wasm) and scrypt (node:crypto, N=2^17, r=8, p=1, OWASP's alternative). Prints ms per hash.
// Run: deno run -A bench/password.ts [rounds]

import { loadNativeBackend, wasmBackend } from "../lib/accounts/password.ts";

type ScryptFn = (
  password: string,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
  callback: (err: Error | null, key: Uint8Array) => void,
) => void;

// A computed specifier keeps `deno check` from pulling in @types/node, which node_modules lacks.
const nodeCrypto = "node:crypto";
const { scrypt } = (await import(nodeCrypto)) as { scrypt: ScryptFn };

const rounds = Number(Deno.args[0] ?? "10");
if (!Number.isInteger(rounds) || rounds < 1) throw new Error("rounds must be a positive integer");

function scryptHash(password: string): Promise<Uint8Array> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return new Promise((resolve, reject) =>
    // 128 * N * r = 128 MiB of memory; maxmem must allow it.
    scrypt(password, salt, 32, { N: 2 ** 17, r: 8, p: 1, maxmem: 256 * 1024 * 1024 }, (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key));
    })
  );
}

async function time(label: string, fn: () => Promise<unknown>) {
  await fn(); // warm-up (module init, WASM compile)
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const median = samples[Math.floor(samples.length / 2)];
  console.log(
    `${label.padEnd(44)} mean ${mean.toFixed(1).padStart(7)} ms  median ${median.toFixed(1).padStart(7)} ms  ` +
      `min ${samples[0].toFixed(1).padStart(7)} ms  (${rounds} rounds)`,
  );
}

const password = "correct horse battery staple";
const native = await loadNativeBackend();
console.log(`Password hashing, ${rounds} rounds each, Deno ${Deno.version.deno} on ${Deno.build.target}`);
if (native) await time("argon2id m=19456 t=2 p=1, native", () => native.hash(password));
else console.log("argon2id native: module did not load on this platform");
await time("argon2id m=19456 t=2 p=1, WASM (hash-wasm)", () => wasmBackend.hash(password));
await time("scrypt N=2^17 r=8 p=1, node:crypto", () => scryptHash(password));
