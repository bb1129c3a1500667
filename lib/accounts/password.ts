// Password hashing: Argon2id with OWASP's parameters, native (@node-rs/argon2, off the main thread)
// where it loads, hash-wasm's WASM build otherwise (Deno Deploy). Both write standard PHC strings.

import { argon2id, argon2Verify } from "hash-wasm";
import { logger } from "../common/log.ts";

const log = logger("password");

/** OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1; 16-byte salt, 32-byte hash. */
export const ARGON2_PARAMS = {
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
  hashLength: 32,
  saltLength: 16,
} as const;

export interface PasswordBackend {
  name: "native" | "wasm";
  hash(password: string): Promise<string>;
  /** False for a wrong password and for a hash it cannot read. */
  verify(hash: string, password: string): Promise<boolean>;
}

/** The native backend, or null when the module or its binary cannot load on this platform. */
export async function loadNativeBackend(): Promise<PasswordBackend | null> {
  try {
    const native = await import("@node-rs/argon2");
    const options = {
      memoryCost: ARGON2_PARAMS.memoryCost,
      timeCost: ARGON2_PARAMS.timeCost,
      parallelism: ARGON2_PARAMS.parallelism,
      outputLen: ARGON2_PARAMS.hashLength,
      // Algorithm.Argon2id; the enum is `const` in the typings, so it cannot be read at runtime here.
      algorithm: 2 as import("@node-rs/argon2").Options["algorithm"],
    };
    // Importing loads the .node binary; a platform without one throws into the catch below.
    if (typeof native.hash !== "function") return null;
    return {
      name: "native",
      hash: (password) => native.hash(password, options),
      verify: async (hash, password) => {
        try {
          return await native.verify(hash, password);
        } catch {
          return false;
        }
      },
    };
  } catch (err) {
    log.warn("native argon2 unavailable; using the WASM build", { error: String(err) });
    return null;
  }
}

/** The WASM backend: same algorithm and PHC output, runs on the calling thread. */
export const wasmBackend: PasswordBackend = {
  name: "wasm",
  hash: (password) =>
    argon2id({
      password,
      salt: crypto.getRandomValues(new Uint8Array(ARGON2_PARAMS.saltLength)),
      parallelism: ARGON2_PARAMS.parallelism,
      iterations: ARGON2_PARAMS.timeCost,
      memorySize: ARGON2_PARAMS.memoryCost,
      hashLength: ARGON2_PARAMS.hashLength,
      outputType: "encoded",
    }),
  verify: async (hash, password) => {
    try {
      return await argon2Verify({ password, hash });
    } catch {
      return false;
    }
  },
};

let chosen: Promise<PasswordBackend> | null = null;

/** The backend in use: native when it loads, WASM otherwise (decided once per process). */
export function passwordBackend(): Promise<PasswordBackend> {
  chosen ??= loadNativeBackend().then((native) => native ?? wasmBackend);
  return chosen;
}

/** Hashes a new password into a PHC string ($argon2id$v=19$m=19456,t=2,p=1$salt$hash). */
export async function hashPassword(password: string): Promise<string> {
  return await (await passwordBackend()).hash(password);
}

/** Checks a password against a stored PHC string; false (never throws) for malformed hashes. */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (!hash.startsWith("$argon2")) return false;
  return await (await passwordBackend()).verify(hash, password);
}

/**
 * A hash of a random password with the current parameters. Verifying against it costs what a real
 * check costs, so an unknown email answers as slowly as a wrong password. It is fixed in the
 * source so even the first request after start takes the same time.
 */
export const DUMMY_HASH =
  "$argon2id$v=19$m=19456,t=2,p=1$WQ4ankC5986mk+N6C7LWFg$jLDtwb/tFDKix/ukzs/Sr5ZjqJzQSzSzxjenyNAD3WQ";

/** Spends the time of one password check and returns false (for unknown accounts). */
export async function dummyVerify(password: string): Promise<false> {
  await verifyPassword(DUMMY_HASH, password);
  return false;
}
