// /recordings: the signed-in person's recordings (of the meetings they host), newest first, paged
// by cursor with rel="next"/"prev" links; each with its title, date, length, size, state and actions.

import { Hono } from "hono";
import { ValidationError } from "../../lib/common/errors.ts";
import { InvalidCursor } from "../../lib/accounts/users.ts";
import { listOwnerRecordings } from "../../lib/recordings/store.ts";
import { requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import { usePage } from "../../lib/web/page_context.ts";
import { Pager } from "../../components/Pager.tsx";
import { RecordingTable } from "../../components/RecordingTable.tsx";
import type { Recording } from "../../lib/recordings/store.ts";

export const recordingListRoutes = new Hono<Env>();

/** Recordings per page. */
export const PAGE_SIZE = 20;

recordingListRoutes.get("/recordings", requireUser(), async (c) => {
  const cursor = c.req.query("cursor") || undefined;
  const before = c.req.query("before") || undefined;
  const page = await listOwnerRecordings(c.get("deps").kv, c.get("user")!.id, { cursor, before, limit: PAGE_SIZE })
    .catch((err) => {
      if (err instanceof InvalidCursor) {
        throw new ValidationError({ cursor: "accounts.error.staleCursor" }, "recordings.error.badPageLink");
      }
      throw err;
    });
  const href = (cur: string, direction: "prev" | "next") =>
    `/recordings?${new URLSearchParams(direction === "next" ? { cursor: cur } : { before: cur })}`;
  return renderPage(
    c,
    <section class="card">
      <RecordingsList recordings={page.recordings} more={!!(cursor || before)} />
      <Pager prev={page.prevCursor} next={page.nextCursor} href={href} firstHref="/recordings" order="time" />
    </section>,
    { title: translator(requestLocale(c))("recordings.list.title") },
  );
});

function RecordingsList({ recordings, more }: { recordings: Recording[]; more: boolean }) {
  const { t } = usePage();
  return (
    <>
      <h1>{t("recordings.list.title")}</h1>
      <p class="hint">{t("recordings.list.intro")}</p>
      {recordings.length === 0
        ? <p class="empty">{more ? t("recordings.list.noMore") : t("recordings.list.none")}</p>
        : <RecordingTable recordings={recordings} />}
    </>
  );
}
