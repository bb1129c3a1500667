// Request-scoped state shared by every route (Hono Variables).

import type { Config } from "../config.ts";
import type { Mailer } from "../email/mailer.ts";
import type { Session } from "../db/sessions.ts";
import type { User } from "../db/users.ts";

/** What the web app asks of the media gateway (lib/gateway_client.ts implements it over signed HTTP). */
export interface MediaGateway {
  /** Makes sure the meeting's VideoRoom exists (idempotent). */
  ensureRoom(meetingId: string, opts?: { title?: string }): Promise<{ room: number }>;
  /** Lets an admitted participant into the room: a Janus token on the room's allowed list. */
  admitParticipant(meetingId: string, participantId: string): Promise<MediaAccess>;
  /** Revokes a participant's token and kicks their feed. */
  removeParticipant(meetingId: string, participantId: string): Promise<void>;
  /** Destroys the room, disconnecting everyone. */
  destroyRoom(meetingId: string): Promise<void>;
}

export interface MediaAccess {
  janusToken: string;
  room: number;
  feedId: number;
  janusUrl: string;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
}

/** Long-lived dependencies handed to createApp; tests pass an in-memory KV and a capturing mailer. */
export interface AppDeps {
  kv: Deno.Kv;
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
  };
}
