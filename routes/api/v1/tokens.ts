// DELETE /api/v1/tokens/:id: revoking one of the caller's personal access tokens.

import { Hono } from "hono";
import { revokeApiToken } from "../../../lib/accounts/api_tokens.ts";
import { NotFound } from "../../../lib/common/errors.ts";
import { requireUser } from "../../../lib/web/middleware.ts";
import type { Env } from "../../../lib/web/types.ts";

export const apiTokenRoutes = new Hono<Env>();

/** Revokes one of the caller's own tokens (a script can revoke itself); others' ids are 404. */
apiTokenRoutes.delete("/api/v1/tokens/:id", requireUser(), async (c) => {
  const revoked = await revokeApiToken(c.get("deps").kv, c.get("user")!.id, c.req.param("id"));
  if (!revoked) throw new NotFound("There is no such token among yours");
  return c.body(null, 204);
});
