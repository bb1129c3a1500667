// Runs before every /api/v1 route: API answers are never cached. Unknown /api/* paths fall through
// to app.notFound, which answers with problem+json.

import { Hono } from "hono";
import type { Env } from "../../../lib/web/types.ts";

export const apiV1Middleware = new Hono<Env>();

apiV1Middleware.use("/api/v1/*", async function noStore(c, next) {
  await next();
  c.res.headers.set("Cache-Control", "no-store");
});
