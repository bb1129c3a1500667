// REST API v1 for scripts and integrations (Bearer personal access tokens, or the browser session).
// Unknown /api/* paths fall through to app.notFound, which answers with problem+json.

import { Hono } from "hono";
import { revokeApiToken } from "../lib/db/api_tokens.ts";
import type { User } from "../lib/db/users.ts";
import { NotFound } from "../lib/http/errors.ts";
import { requireUser } from "../lib/http/middleware.ts";
import type { Env } from "../lib/http/types.ts";

export const apiRoutes = new Hono<Env>();

/** What the API tells a person about their own account: never the password hash or TOTP secret. */
export interface ApiMe {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  role: User["role"];
  timeZone: string;
  twoFactorEnabled: boolean;
  createdAt: string;
}

export function apiMe(user: User): ApiMe {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    emailVerified: user.emailVerified,
    role: user.role,
    timeZone: user.timeZone,
    twoFactorEnabled: Boolean(user.totpSecret),
    createdAt: user.createdAt,
  };
}

apiRoutes.use("/api/v1/*", async function noStore(c, next) {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
});

apiRoutes.get("/api/v1/me", requireUser(), (c) => c.json(apiMe(c.get("user")!)));

/** Revokes one of the caller's own tokens (a script can revoke itself); others' ids are 404. */
apiRoutes.delete("/api/v1/tokens/:id", requireUser(), async (c) => {
  const revoked = await revokeApiToken(c.get("deps").kv, c.get("user")!.id, c.req.param("id"));
  if (!revoked) throw new NotFound("There is no such token among yours");
  return c.body(null, 204);
});
