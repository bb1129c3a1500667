// /recordings/:recordingId…: one recording's page (the player, its details, rename, delete, and
// sharing: with the meeting's participants and by links that expire), and its file for the
// browser's <video> and downloads (the gateway's bytes with its Range answer). The meeting's hosts
// manage it; participants it is shared with only watch and download; everyone else gets 404.

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { cleanLine } from "../../lib/common/text.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { ValidationError } from "../../lib/common/errors.ts";
import { deleteRecording, type Recording, renameRecording } from "../../lib/recordings/service.ts";
import {
  createShareLink,
  LINK_DAYS,
  type RecordingAccess,
  revokeShareLink,
  type ShareLink,
  shareLinks,
  shareWithParticipants,
} from "../../lib/recordings/sharing.ts";
import { formatMeetingId } from "../../lib/meetings/store.ts";
import { requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { fieldErrors, readForm } from "../../lib/web/validate.ts";
import type { FormValues } from "../../lib/web/validate.ts";
import {
  managedRecording,
  recordingActor,
  recordingDeps,
  recordingForPage,
  streamRecordingFile,
} from "../../lib/web/recordings.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";
import { usePage } from "../../lib/web/page_context.ts";
import { Field, Form, Notice, useMessage } from "../../components/Form.tsx";
import { LocalTime } from "../../components/LocalTime.tsx";
import { durationText } from "../../components/ScheduleFields.tsx";
import { formatBytes, stateText } from "../../components/RecordingTable.tsx";
import { CopyButton, RecordingProgress } from "../../islands/mod.ts";
import { copyWords } from "../../islands/CopyButton.tsx";

export const recordingPageRoutes = new Hono<Env>();

const NOTICES: Record<string, MessageKey> = {
  renamed: "recordings.notice.renamed",
  shared: "recordings.notice.shared",
  unshared: "recordings.notice.unshared",
  revoked: "recordings.notice.revoked",
};

interface PageState {
  values?: FormValues;
  errors?: FieldErrors;
  status?: number;
  problem?: string;
  /** A link just made: its address is shown once. */
  newLink?: { url: string; link: ShareLink };
}

async function recordingPage(
  c: Context<Env>,
  rec: Recording,
  access: RecordingAccess,
  state: PageState = {},
): Promise<Response> {
  const links = access === "manage" ? await shareLinks(c.get("deps").kv, rec) : [];
  const notice = NOTICES[c.req.query("notice") ?? ""];
  return renderPage(
    c,
    <RecordingView rec={rec} access={access} links={links} state={state} notice={notice} />,
    { title: rec.title, status: state.status },
  );
}

function RecordingView({ rec, access, links, state, notice }: {
  rec: Recording;
  access: RecordingAccess;
  links: ShareLink[];
  state: PageState;
  notice?: MessageKey;
}) {
  const { t, locale } = usePage();
  const base = `/recordings/${rec.id}`;
  return (
    <>
      <section class="card recording-page">
        <h1>{rec.title}</h1>
        {notice && <Notice kind="success">{t(notice)}</Notice>}
        {state.problem && <Notice kind="error">{state.problem}</Notice>}
        {rec.state === "ready" && <Player src={`${base}/file`} title={rec.title} />}
        {rec.state === "processing" && (
          <RecordingProgress
            recordingId={rec.id}
            progress={rec.progress}
            label={t("recordings.page.processing")}
            locale={locale}
          />
        )}
        {rec.state === "recording" && <Notice kind="info">{t("recordings.page.stillRecording")}</Notice>}
        {rec.state === "failed" && (
          <Notice kind="error">{t("recordings.page.failed", { reason: rec.reason ?? "" })}</Notice>
        )}
        <Details rec={rec} />
      </section>
      {access === "manage" && (
        <>
          <section class="card">
            <h2>{t("recordings.rename.heading")}</h2>
            <Form action={`${base}/rename`}>
              <Field
                name="title"
                label={t("recordings.rename.label")}
                value={state.values?.title ?? rec.title}
                error={state.errors?.title}
              />
              <button type="submit">{t("recordings.rename.submit")}</button>
            </Form>
          </section>
          {rec.state === "ready" && <Sharing rec={rec} links={links} state={state} />}
          {rec.state !== "recording" && (
            <section class="card danger-zone">
              <h2>{t("recordings.delete.heading")}</h2>
              <p>{t("recordings.delete.explain")}</p>
              <a class="button danger" href={`${base}/delete`}>{t("recordings.delete.button")}</a>
            </section>
          )}
        </>
      )}
    </>
  );
}

/** The player and the download link (the same file, `?download=1` saves it). */
export function Player({ src, title }: { src: string; title: string }) {
  const { t } = usePage();
  return (
    <>
      <video class="recording-player" controls preload="metadata" src={src} aria-label={title}>
        <a href={`${src}?download=1`}>{t("recordings.action.download")}</a>
      </video>
      <p>
        <a class="button secondary" href={`${src}?download=1`} download>{t("recordings.action.download")}</a>
      </p>
    </>
  );
}

function Details({ rec }: { rec: Recording }) {
  const { t, locale } = usePage();
  return (
    <dl class="recording-details">
      <dt>{t("recordings.col.date")}</dt>
      <dd>
        <LocalTime iso={rec.startedAt} />
      </dd>
      <dt>{t("recordings.col.duration")}</dt>
      <dd>{rec.durationSeconds !== null ? durationText(t, rec.durationSeconds) : "—"}</dd>
      <dt>{t("recordings.col.size")}</dt>
      <dd>{rec.sizeBytes !== null ? formatBytes(rec.sizeBytes, locale) : "—"}</dd>
      <dt>{t("recordings.col.state")}</dt>
      <dd class="recording-state">{stateText(t, rec, locale)}</dd>
      <dt>{t("recordings.page.meeting")}</dt>
      <dd>
        <span dir="ltr">{formatMeetingId(rec.meetingId)}</span>
      </dd>
      {rec.expiresAt && (
        <>
          <dt>{t("recordings.page.keptUntil")}</dt>
          <dd>
            <LocalTime iso={rec.expiresAt} dateOnly />
          </dd>
        </>
      )}
    </dl>
  );
}

function Sharing({ rec, links, state }: { rec: Recording; links: ShareLink[]; state: PageState }) {
  const { t } = usePage();
  const base = `/recordings/${rec.id}`;
  const on = !!rec.sharedWithParticipants;
  const daysError = useMessage(state.errors?.days);
  return (
    <section class="card recording-sharing" id="sharing">
      <h2>{t("recordings.share.heading")}</h2>
      <h3>{t("recordings.share.participantsHeading")}</h3>
      <p>{on ? t("recordings.share.participantsOn") : t("recordings.share.participantsOff")}</p>
      <Form action={`${base}/share`} class="inline">
        <input type="hidden" name="participants" value={on ? "off" : "on"} />
        <button type="submit" class="secondary">
          {on ? t("recordings.share.stopParticipants") : t("recordings.share.withParticipants")}
        </button>
      </Form>
      <h3>{t("recordings.share.linksHeading")}</h3>
      {state.newLink && (
        <Notice kind="success">
          {t("recordings.share.linkMade")} <code class="share-url">{state.newLink.url}</code>{" "}
          <CopyButton text={state.newLink.url} label={t("recordings.share.copy")} words={copyWords(t)} />
        </Notice>
      )}
      {links.length === 0 ? <p class="empty">{t("recordings.share.noLinks")}</p> : (
        <ul class="share-links">
          {links.map((l) => (
            <li key={l.id} data-link-id={l.id}>
              {t("recordings.share.linkUntil")} <LocalTime iso={l.expiresAt} />
              {l.passcodeHash ? ` · ${t("recordings.share.withPasscode")}` : ""}{" "}
              <Form action={`${base}/links/${l.id}/revoke`} class="inline">
                <button type="submit" class="link">{t("recordings.share.revoke")}</button>
              </Form>
            </li>
          ))}
        </ul>
      )}
      <Form action={`${base}/links`}>
        <div class={state.errors?.days ? "field has-error" : "field"}>
          <label for="f-days">{t("recordings.share.days")}</label>
          <select
            id="f-days"
            name="days"
            aria-invalid={state.errors?.days ? "true" : undefined}
            aria-describedby={state.errors?.days ? "f-days-error" : undefined}
          >
            {LINK_DAYS.map((d) => (
              <option key={d} value={String(d)} selected={(state.values?.days ?? "7") === String(d)}>
                {t("recordings.share.daysValue", { count: d })}
              </option>
            ))}
          </select>
          {daysError && <small class="error" id="f-days-error">{daysError}</small>}
        </div>
        <Field
          name="passcode"
          label={t("recordings.share.passcode")}
          hint={t("recordings.share.passcodeHint")}
          value={state.values?.passcode ?? ""}
          error={state.errors?.passcode}
          autocomplete="off"
        />
        <button type="submit">{t("recordings.share.create")}</button>
      </Form>
    </section>
  );
}

recordingPageRoutes.get("/recordings/:recordingId", requireUser(), async (c) => {
  const { recording, access } = await recordingForPage(c);
  return await recordingPage(c, recording, access);
});

recordingPageRoutes.get("/recordings/:recordingId/file", requireUser(), async (c) => {
  const { recording } = await recordingForPage(c);
  return await streamRecordingFile(c, recording);
});

const renameSchema = z.object({
  title: z.string().overwrite(cleanLine).trim().min(1, "recordings.rename.empty").max(200, "recordings.rename.tooLong"),
});

recordingPageRoutes.post("/recordings/:recordingId/rename", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  const values = await readForm(c);
  const parsed = renameSchema.safeParse(values);
  if (!parsed.success) {
    const t = translator(requestLocale(c));
    return await recordingPage(c, rec, "manage", {
      values,
      errors: fieldErrors(parsed.error),
      status: 422,
      problem: t("recordings.rename.needsAttention"),
    });
  }
  await renameRecording(recordingDeps(c), rec.id, parsed.data.title);
  return c.redirect(`/recordings/${rec.id}?notice=renamed`, 303);
});

recordingPageRoutes.post("/recordings/:recordingId/share", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  const on = (await readForm(c)).participants === "on";
  await shareWithParticipants(c.get("deps").kv, rec, on, recordingActor(c));
  return c.redirect(`/recordings/${rec.id}?notice=${on ? "shared" : "unshared"}#sharing`, 303);
});

recordingPageRoutes.post("/recordings/:recordingId/links", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  const values = await readForm(c);
  try {
    const { link, token } = await createShareLink(c.get("deps").kv, rec, {
      days: Number(values.days),
      passcode: values.passcode ?? "",
    }, recordingActor(c));
    const url = `${c.get("deps").config.publicUrl}/r/${token}`;
    // Shown once, on this answer: the token is not stored, so no later page can show it again.
    return await recordingPage(c, rec, "manage", { newLink: { url, link } });
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const t = translator(requestLocale(c));
    return await recordingPage(c, rec, "manage", {
      values: { days: values.days ?? "", passcode: values.passcode ?? "" },
      errors: err.fields,
      status: 422,
      problem: t("recordings.share.needsAttention"),
    });
  }
});

recordingPageRoutes.post("/recordings/:recordingId/links/:linkId/revoke", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  await revokeShareLink(c.get("deps").kv, rec, c.req.param("linkId"));
  return c.redirect(`/recordings/${rec.id}?notice=revoked#sharing`, 303);
});

/** Asks before deleting (the page's Delete button links here): a GET changes nothing. */
recordingPageRoutes.get("/recordings/:recordingId/delete", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  const t = translator(requestLocale(c));
  return renderPage(c, <DeleteConfirmation rec={rec} />, {
    title: t("recordings.delete.pageTitle", { title: rec.title }),
  });
});

function DeleteConfirmation({ rec }: { rec: Recording }) {
  const { t } = usePage();
  return (
    <section class="card danger-zone">
      <h1>{t("recordings.delete.confirmHeading", { title: rec.title })}</h1>
      <p>{t("recordings.delete.confirmExplain")}</p>
      <Form action={`/recordings/${rec.id}/delete`} class="inline">
        <button type="submit" class="danger">{t("recordings.delete.confirm")}</button>
      </Form>{" "}
      <a class="button secondary" href={`/recordings/${rec.id}`}>{t("recordings.delete.keep")}</a>
    </section>
  );
}

recordingPageRoutes.post("/recordings/:recordingId/delete", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  await deleteRecording(recordingDeps(c), rec.id);
  return c.redirect("/recordings", 303);
});
