// GET/POST /join: joining by typing a meeting ID (and passcode).

import { Hono } from "hono";
import { getMeetingByNumber } from "../lib/meetings/store.ts";
import { readCookie } from "../lib/web/cookies.ts";
import type { Env } from "../lib/web/types.ts";
import { fieldErrors, readForm } from "../lib/web/validate.ts";
import { admissionCookie, tryJoin } from "../lib/meetings/join.ts";
import { admitted, joinSchema, nameRule, renderJoinPage, renderRefusal } from "../lib/web/join_pages.tsx";

export const joinRoutes = new Hono<Env>();

joinRoutes.get("/join", (c) => renderJoinPage(c, {}));

joinRoutes.post("/join", async (c) => {
  const values = await readForm(c);
  const user = c.get("user");
  const parsed = joinSchema.safeParse(values);
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  const name = user ? undefined : nameRule.safeParse(values.name ?? "");
  if (name && !name.success) errors.name = name.error.issues[0].message;
  if (!parsed.success || Object.keys(errors).length) return renderJoinPage(c, { values, errors, status: 422 });
  const meeting = await getMeetingByNumber(c.get("deps").kv, parsed.data.meetingId);
  if (!meeting) {
    return renderJoinPage(c, {
      values,
      status: 404,
      problem: "meetings.join.unknown",
    });
  }
  const result = await tryJoin(c.get("deps").kv, {
    meeting,
    user,
    passcode: parsed.data.passcode,
    name: name?.data,
    clientIp: c.get("clientIp"),
    admissionToken: readCookie(c, admissionCookie(meeting.meetingId)),
  });
  if (!result.ok) return renderRefusal(c, meeting, result.refusal, { values, general: true });
  return admitted(c, meeting, result.token);
});
