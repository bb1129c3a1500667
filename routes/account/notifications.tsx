// /account/notifications…: meeting reminders — the devices that get web push, when to be reminded,
// and the device list as JSON for the island.

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { Field, Form, Notice } from "../../components/Form.tsx";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { NotFound } from "../../lib/common/errors.ts";
import { requireBrowserSession, requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { parseForm } from "../../lib/web/validate.ts";
import { logger } from "../../lib/common/log.ts";
import { getReminderMinutes, reminderMinutesText, setReminderMinutes } from "../../lib/reminders/prefs.ts";
import { replanForPerson } from "../../lib/reminders/reminders.ts";
import { deleteSubscription, listSubscriptions } from "../../lib/reminders/subscriptions.ts";
import type { PushSubscriptionRecord } from "../../lib/reminders/subscriptions.ts";
import { loadVapidKeys } from "../../lib/reminders/vapid.ts";
import { PushSettings } from "../../islands/mod.ts";
import { type PushDevice, pushWords } from "../../islands/PushSettings.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";

const log = logger("notifications");

export const notificationRoutes = new Hono<Env>();

const NOTICES: Record<string, MessageKey> = {
  "reminders-saved": "accounts.reminders.saved",
};

const remindersForm = z.object({ minutes: reminderMinutesText });

export function toDevice(sub: PushSubscriptionRecord): PushDevice {
  return { id: sub.id, label: sub.label, createdAt: sub.createdAt };
}

interface PageProps {
  vapidPublicKey: string;
  devices: PushDevice[];
  minutes: string;
  errors?: FieldErrors;
  notice?: string;
}

function NotificationsPage({ vapidPublicKey, devices, minutes, errors = {}, notice }: PageProps) {
  const { t } = usePage();
  return (
    <section class="card">
      <h1>{t("accounts.reminders.title")}</h1>
      {notice && Object.hasOwn(NOTICES, notice) && <Notice kind="success">{t(NOTICES[notice])}</Notice>}
      <p>{t("accounts.reminders.lead")}</p>
      <h2>{t("accounts.reminders.devices")}</h2>
      <PushSettings vapidPublicKey={vapidPublicKey} devices={devices} words={pushWords(t)} />
      <h2>{t("accounts.reminders.when")}</h2>
      <Form action="/account/notifications/reminders">
        <Field
          name="minutes"
          label={t("accounts.reminders.minutes")}
          value={minutes}
          error={errors.minutes}
          inputmode="text"
          hint={t("accounts.reminders.minutesHint")}
        />
        <button type="submit">{t("accounts.reminders.save")}</button>
      </Form>
    </section>
  );
}

async function renderNotifications(
  c: Context<Env>,
  props: { minutes?: string; errors?: FieldErrors; notice?: string },
  status = 200,
): Promise<Response> {
  const { kv, config } = c.get("deps");
  const user = c.get("user")!;
  const [vapid, subs, chosen] = await Promise.all([
    loadVapidKeys(kv, config),
    listSubscriptions(kv, user.id),
    getReminderMinutes(kv, user.id),
  ]);
  return renderPage(
    c,
    <NotificationsPage
      vapidPublicKey={vapid.publicKey}
      devices={subs.map(toDevice)}
      minutes={props.minutes ?? chosen.join(", ")}
      errors={props.errors}
      notice={props.notice}
    />,
    { title: translator(requestLocale(c))("accounts.reminders.title"), status },
  );
}

// "/account/notifications/*" also matches "/account/notifications" itself.
notificationRoutes.use("/account/notifications/*", requireUser(), requireBrowserSession());

notificationRoutes.get("/account/notifications", async (c) => {
  return await renderNotifications(c, { notice: c.req.query("notice") });
});

notificationRoutes.post("/account/notifications/reminders", async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  const form = await parseForm(c, remindersForm);
  if (!form.ok) return await renderNotifications(c, { minutes: form.values.minutes, errors: form.errors }, 422);
  await setReminderMinutes(kv, user.id, form.data.minutes);
  await replanForPerson(kv, user.id);
  log.info("reminder times changed", { userId: user.id, minutes: form.data.minutes });
  return c.redirect("/account/notifications?notice=reminders-saved", 303);
});

notificationRoutes.get("/account/notifications/devices", async (c) => {
  const subs = await listSubscriptions(c.get("deps").kv, c.get("user")!.id);
  c.header("Cache-Control", "no-store");
  return c.json({ devices: subs.map(toDevice) });
});

notificationRoutes.delete("/account/notifications/devices/:id", async (c) => {
  const user = c.get("user")!;
  const id = c.req.param("id");
  if (!(await deleteSubscription(c.get("deps").kv, user.id, id))) {
    throw new NotFound("accounts.error.noDevice");
  }
  log.info("push device removed", { userId: user.id, subscription: id });
  return c.body(null, 204);
});
