// GET /sw.js: the service worker that shows meeting reminders (web push).

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";

export const serviceWorkerRoutes = new Hono<Env>();

const SERVICE_WORKER = new URL("../static/sw.js", import.meta.url);
let serviceWorker: Uint8Array<ArrayBuffer> | null = null;

/**
 * The service worker lives at the site root so its scope covers every page (a worker served from
 * /static/ could only control /static/). It must never be cached long: browsers check it for
 * updates, and a stale worker would keep old notification behaviour.
 */
serviceWorkerRoutes.get("/sw.js", async (c) => {
  serviceWorker ??= await Deno.readFile(SERVICE_WORKER);
  return c.body(serviceWorker, 200, {
    "Content-Type": "text/javascript; charset=utf-8",
    "Cache-Control": "no-cache",
    "Service-Worker-Allowed": "/",
  });
});
