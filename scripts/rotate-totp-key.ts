// Reseals every stored TOTP secret with the current key (the first of TOTP_ENCRYPTION_KEYS, or
// TOTP_ENCRYPTION_KEY, or the key derived from the server secret), walking all accounts even if a
// start already did. Run it with the same environment as the web app, after putting the new key
// first and keeping the old one behind it:
//
//   TOTP_ENCRYPTION_KEYS=<new>,<old> deno run -A scripts/rotate-totp-key.ts
//
// Once it reports `unreadable: 0`, the old key can be dropped from the list. Prints counts and key
// ids only, never a secret or a key.

import { loadConfig } from "../lib/common/config.ts";
import { openKv } from "../lib/common/kv.ts";
import { configureTotpEncryption, resealTotpSecrets } from "../lib/accounts/totp.ts";

if (import.meta.main) {
  const config = loadConfig();
  const kv = await openKv(config);
  try {
    const box = await configureTotpEncryption(kv, config);
    console.log(`keys (current first): ${box.keyIds.join(", ")}`);
    const report = await resealTotpSecrets(kv, { force: true });
    console.log(
      `accounts read: ${report.scanned}, resealed: ${report.rewritten}, unreadable: ${report.unreadable}` +
        ` (current key ${report.keyId})`,
    );
    if (report.unreadable) {
      console.error(
        "Some secrets could not be decrypted (the log names the accounts and key ids): add their key behind the " +
          "current one and run again. A secret altered or copied between accounts never opens; its owner signs " +
          "in with a recovery code and sets up two-factor again.",
      );
      Deno.exitCode = 1;
    }
  } finally {
    kv.close();
  }
}
