// Request-scoped state shared by every route (Hono Variables).

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import type { Mailer } from "../email/mailer.ts";
import type { Session } from "../accounts/sessions.ts";
import type { User } from "../accounts/users.ts";
import type { MediaGateway } from "../contracts/gateway_api.ts";
import type { Locale } from "../i18n/locales.ts";

// The contract's types (lib/contracts/gateway_api.ts), re-exported for route code; domain code
// imports them from lib/contracts directly.
export type { MediaAccess, MediaGateway } from "../contracts/gateway_api.ts";

/** Long-lived dependencies handed to createApp; tests pass an in-memory KV and a capturing mailer. */
export interface AppDeps {
  kv: Store;
  config: Config;
  mailer: Mailer;
  /** HMAC key for signed values (derived from SECRET_KEY or a secret kept in KV). */
  signingKey: CryptoKey;
  /** The media gateway, or null when none is configured (meetings then run without audio/video). */
  gateway: MediaGateway | null;
}

export interface Env {
  Variables: {
    deps: AppDeps;
    /** The signed-in person (fully signed in, enabled), or null. */
    user: User | null;
    /** The cookie session, including a half-signed-in one waiting for a TOTP code. */
    session: { tokenHash: string; session: Session } | null;
    /** How the request authenticated: a browser session cookie, an API token, or not at all. */
    authVia: "cookie" | "token" | null;
    /** Per-response CSP nonce for the island boot script. */
    nonce: string;
    /** The double-submit CSRF token that forms embed. */
    csrfToken: string;
    clientIp: string;
    /** Extra origins the page may connect to (e.g. the Janus WebSocket on the meeting page). */
    cspConnect: string[];
    /** The request's language, once lib/web/i18n.ts's requestLocale has worked it out. */
    locale: Locale;
    /**
     * Let the page compile WebAssembly (CSP 'wasm-unsafe-eval'): only pages with the meeting island,
     * whose background effects and noise suppression run wasm (lib/meetings/client/effects/).
     */
    cspWasm: boolean;
  };
}
