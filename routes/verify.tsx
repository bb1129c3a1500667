// GET /verify/:token: the link in the confirmation email.

import { Hono } from "hono";
import { consumeToken } from "../lib/accounts/one_time_tokens.ts";
import { updateUser } from "../lib/accounts/users.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { logger } from "../lib/common/log.ts";
import type { VerifyEmailData } from "../lib/accounts/emails.ts";
import { LinkProblem } from "../components/LinkProblem.tsx";
import type { Context } from "hono";
import type { MessageKey } from "../lib/i18n/client.ts";
import { usePage } from "../lib/web/page_context.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";

const log = logger("auth");

export const verifyRoutes = new Hono<Env>();

// ---------------------------------------------------------------------------------------------
// Email verification

/** The page's translator, for titles (bodies translate themselves when they render). */
const text = (c: Context<Env>) => translator(requestLocale(c));

function VerifyProblem({ message }: { message: MessageKey }) {
  const { t } = usePage();
  return (
    <LinkProblem
      title={t("accounts.verify.problemHeading")}
      message={t(message)}
      action={<a href="/account/verify">{t("accounts.verify.resend")}</a>}
    />
  );
}

function Confirmed({ email, signedIn }: { email: string; signedIn: boolean }) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("accounts.verify.confirmed")}</h1>
      <p>{t("accounts.verify.thanks", { email })}</p>
      <p>
        {signedIn ? <a href="/dashboard">{t("home.dashboard")}</a> : <a href="/signin">{t("site.signIn")}</a>}
      </p>
    </section>
  );
}

verifyRoutes.get("/verify/:token", async (c) => {
  const { kv } = c.get("deps");
  const data = await consumeToken<VerifyEmailData>(kv, "verify_email", c.req.param("token"));
  const problem = (message: MessageKey) =>
    renderPage(c, <VerifyProblem message={message} />, { title: text(c)("accounts.verify.title"), status: 410 });
  if (!data) return problem("accounts.verify.used");
  let matched = false;
  const user = await updateUser(kv, data.userId, (u) => {
    matched = u.email === data.email;
    return matched ? { emailVerified: true } : {};
  });
  if (!user || !matched) return problem("accounts.verify.otherAddress");
  log.info("email verified", { userId: user.id });
  return renderPage(c, <Confirmed email={user.email} signedIn={Boolean(c.get("user"))} />, {
    title: text(c)("accounts.verify.confirmed"),
  });
});
