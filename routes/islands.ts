// (placeholder: filled in by the work on this area)

import { Hono } from "hono";
import type { Env } from "../lib/http/types.ts";

export const islandAssetRoutes = new Hono<Env>();
