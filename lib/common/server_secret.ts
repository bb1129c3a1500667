// The server's HMAC signing key: SECRET_KEY when set, otherwise a random secret created once in KV.
// lib/common's store module for the generated secret (keys in lib/common/keys.ts).

import type { Store } from "./store.ts";
import { commonKeys } from "./keys.ts";
import { randomToken } from "./ids.ts";

/** Returns the signing key; concurrent first starts agree on one secret (atomic create). */
export async function loadSigningKey(kv: Store, configured: string): Promise<CryptoKey> {
  const secret = await loadServerSecret(kv, configured);
  return await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    [
      "sign",
      "verify",
    ],
  );
}

/**
 * The server secret itself: `configured` (SECRET_KEY) when set, else the one kept in KV, created
 * once (concurrent first starts agree on one). Other keys are derived from it (secret_box.ts).
 */
export async function loadServerSecret(kv: Store, configured: string): Promise<string> {
  let secret = configured;
  if (!secret) {
    const existing = await kv.get<string>(commonKeys.serverSecret());
    if (existing.value) secret = existing.value;
    else {
      const fresh = randomToken(32);
      await kv.atomic().check({ key: commonKeys.serverSecret(), versionstamp: null }).set(
        commonKeys.serverSecret(),
        fresh,
      )
        .commit();
      secret = (await kv.get<string>(commonKeys.serverSecret())).value!;
    }
  }
  return secret;
}
