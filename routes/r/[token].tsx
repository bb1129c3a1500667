// /r/:token: a recording's share link, for anyone who has it (no account needed): a page that plays
// and downloads the recording and nothing else, after the link's passcode when it has one. An
// unknown, revoked or expired link, or a recording that is gone, is 404 like every other recording URL.

import { Hono } from "hono";
import type { Context } from "hono";
import { NotFound, ValidationError } from "../../lib/common/errors.ts";
import { checkSharePasscode, openShareLink, type ShareLink, unlockValue } from "../../lib/recordings/sharing.ts";
import type { Recording } from "../../lib/recordings/store.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { readForm } from "../../lib/web/validate.ts";
import { readCookie, writeCookie } from "../../lib/web/cookies.ts";
import { streamRecordingFile } from "../../lib/web/recordings.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import { timingSafeEqual } from "../../lib/common/ids.ts";
import { usePage } from "../../lib/web/page_context.ts";
import { Field, Form, Notice } from "../../components/Form.tsx";
import { LocalTime } from "../../components/LocalTime.tsx";
import { durationText } from "../../components/ScheduleFields.tsx";
import { Player } from "../recordings/[recordingId].tsx";

export const shareLinkRoutes = new Hono<Env>();

/** The browser's "passcode given" cookie of one link (a cookie per link, so links stay apart). */
const cookieName = (link: ShareLink) => `ts_share_${link.id}`;

async function unlocked(c: Context<Env>, token: string, link: ShareLink): Promise<boolean> {
  if (!link.passcodeHash) return true;
  const kept = readCookie(c, cookieName(link));
  return !!kept && timingSafeEqual(kept, await unlockValue(token, link));
}

function watchPage(
  c: Context<Env>,
  token: string,
  rec: Recording,
  locked: boolean,
  errors: Record<string, string> = {},
  status = 200,
) {
  const t = translator(requestLocale(c));
  // Never indexed, and the address (the key) never leaves as a referrer to other sites; same-origin
  // keeps the Origin on its own passcode form (no-referrer makes browsers send "Origin: null").
  return renderPage(c, <WatchView token={token} rec={rec} locked={locked} errors={errors} />, {
    title: locked ? t("recordings.watch.lockedTitle") : rec.title,
    status,
    headers: { "X-Robots-Tag": "noindex", "Referrer-Policy": "same-origin" },
  });
}

function WatchView({ token, rec, locked, errors }: {
  token: string;
  rec: Recording;
  locked: boolean;
  errors: Record<string, string>;
}) {
  const { t } = usePage();
  if (locked) {
    return (
      <section class="card">
        <h1>{t("recordings.watch.lockedTitle")}</h1>
        <p>{t("recordings.watch.lockedExplain")}</p>
        {errors.passcode && <Notice kind="error">{t("recordings.watch.locked")}</Notice>}
        <Form action={`/r/${token}`}>
          <Field
            name="passcode"
            type="password"
            label={t("recordings.share.passcode")}
            error={errors.passcode}
            autocomplete="off"
            autofocus
          />
          <button type="submit">{t("recordings.watch.unlock")}</button>
        </Form>
      </section>
    );
  }
  return (
    <section class="card recording-page">
      <h1>{rec.title}</h1>
      <Player src={`/r/${token}/file`} title={rec.title} />
      <p class="hint">
        <LocalTime iso={rec.startedAt} />
        {rec.durationSeconds !== null ? ` · ${durationText(t, rec.durationSeconds)}` : ""}
      </p>
    </section>
  );
}

shareLinkRoutes.get("/r/:token", async (c) => {
  const token = c.req.param("token");
  const { link, recording } = await openShareLink(c.get("deps").kv, token);
  return watchPage(c, token, recording, !(await unlocked(c, token, link)));
});

shareLinkRoutes.post("/r/:token", async (c) => {
  const token = c.req.param("token");
  const { kv } = c.get("deps");
  const { link, recording } = await openShareLink(kv, token);
  if (!link.passcodeHash) return c.redirect(`/r/${token}`, 303);
  try {
    await checkSharePasscode(kv, link, (await readForm(c)).passcode ?? "", c.get("clientIp"));
  } catch (err) {
    if (err instanceof ValidationError) return watchPage(c, token, recording, true, err.fields, 422);
    throw err;
  }
  const maxAge = Math.max(1, Math.floor((Date.parse(link.expiresAt) - Date.now()) / 1000));
  writeCookie(c, cookieName(link), await unlockValue(token, link), maxAge);
  return c.redirect(`/r/${token}`, 303);
});

shareLinkRoutes.get("/r/:token/file", async (c) => {
  const token = c.req.param("token");
  const { link, recording } = await openShareLink(c.get("deps").kv, token);
  if (!(await unlocked(c, token, link))) throw new NotFound("recordings.error.noLink");
  return await streamRecordingFile(c, recording);
});
