// The server's HMAC signing key: SECRET_KEY when set, otherwise a random secret created once in KV.
// lib/common's store module for the generated secret (keys in lib/common/keys.ts).

import type { Store } from "./store.ts";
import { commonKeys } from "./keys.ts";
import { randomToken } from "./ids.ts";

/** Returns the signing key; concurrent first starts agree on one secret (atomic create). */
export async function loadSigningKey(kv: Store, configured: string): Promise<CryptoKey> {
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
