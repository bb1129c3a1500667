// Janus Admin API over the loopback admin WebSocket (janode with is_admin): core tokens for
// token_auth. The admin secret is added to each request by janode and never logged.

import Janode from "janode";
import { logger } from "../../lib/common/log.ts";

const log = logger("janus-admin");

/** The janode connection surface we use (janode ships JavaScript without types). */
export interface JanodeConnection {
  sendRequest(request: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
  once(event: string, listener: (arg: unknown) => void): void;
}

export const JANODE_CONNECTION_CLOSED = Janode.EVENT.CONNECTION_CLOSED as string;
export const JANODE_CONNECTION_ERROR = Janode.EVENT.CONNECTION_ERROR as string;

// Janode's own logger prints to stdout at "info"; our logs are enough unless someone debugs janode.
Janode.Logger.setLevel(Deno.env.get("JANODE_LOG") ?? "warn");

export class JanusAdmin {
  #connection: JanodeConnection;

  private constructor(connection: JanodeConnection) {
    this.#connection = connection;
  }

  /** Opens the admin connection once (no retries: the caller's reconnect loop owns retrying). */
  static async connect(url: string, adminSecret: string): Promise<JanusAdmin> {
    const connection = await Janode.connect({
      address: { url, apisecret: adminSecret },
      is_admin: true,
      max_retries: 0,
      retry_time_secs: 1,
    }) as unknown as JanodeConnection;
    return new JanusAdmin(connection);
  }

  /** Calls `listener` once when the connection ends for any reason. */
  onClose(listener: () => void) {
    this.#connection.once(JANODE_CONNECTION_CLOSED, listener);
    this.#connection.once(JANODE_CONNECTION_ERROR, listener);
  }

  /** Adds a core token limited to `plugins`; adding an existing token just updates its plugins. */
  async addToken(token: string, plugins: string[]): Promise<void> {
    await this.#connection.sendRequest({ janus: "add_token", token, plugins });
  }

  /** Removes a core token; a token Janus does not know (e.g. after a restart) is not an error. */
  async removeToken(token: string): Promise<void> {
    try {
      await this.#connection.sendRequest({ janus: "remove_token", token });
    } catch (err) {
      // 470 JANUS_ERROR_TOKEN_NOT_FOUND: already gone, which is what we wanted.
      if (!String((err as Error).message).startsWith("470 ")) throw err;
      log.info("token already gone");
    }
  }

  /** The core tokens Janus currently accepts, with the plugins each may use. */
  async listTokens(): Promise<{ token: string; plugins: string[] }[]> {
    const res = await this.#connection.sendRequest({ janus: "list_tokens" });
    const data = res.data as { tokens?: { token: string; allowed_plugins?: string[] }[] } | undefined;
    return (data?.tokens ?? []).map((t) => ({ token: t.token, plugins: t.allowed_plugins ?? [] }));
  }

  async close(): Promise<void> {
    try {
      await this.#connection.close();
    } catch {
      // Closing a connection Janus already dropped.
    }
  }
}
