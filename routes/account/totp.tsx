// /account/totp…: two-factor enrollment with a QR code, recovery codes and turning it off. The sign-in
// step that checks the code lives in routes/signin.tsx.

import { Hono } from "hono";
import type { Context } from "hono";
import QRCode from "qrcode";
import { z } from "zod";
import { Field, Form, Notice } from "../../components/Form.tsx";
import { reserveAttempt } from "../../lib/common/rate_limit.ts";
import { verifyPassword } from "../../lib/accounts/password.ts";
import { countRecoveryCodes, RECOVERY_CODE_COUNT, regenerateRecoveryCodes } from "../../lib/accounts/recovery_codes.ts";
import {
  disableTwoFactor,
  enableTwoFactor,
  groupSecret,
  newTotpSecret,
  openPendingTotpSecret,
  otpauthUri,
  sealPendingTotpSecret,
  verifySecondFactor,
  verifyTotp,
} from "../../lib/accounts/totp.ts";
import { updateSession } from "../../lib/accounts/sessions.ts";
import type { User } from "../../lib/accounts/users.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { Unauthorized } from "../../lib/common/errors.ts";
import { requireBrowserSession, requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { parseForm, rules } from "../../lib/web/validate.ts";
import { logger } from "../../lib/common/log.ts";
import { CopyButton } from "../../islands/mod.ts";
import { copyWords } from "../../islands/CopyButton.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";
import { TOTP_LIMIT_SCOPE, totpLimitSubjects, WRONG_CODE } from "../../lib/web/second_factor.ts";

const log = logger("totp");

export const accountTotpRoutes = new Hono<Env>();

const appCode = z.string().trim().transform((s) => s.replace(/\s+/g, "")).pipe(
  z.string().regex(/^\d{6}$/, "accounts.error.appCode"),
);

// ---------------------------------------------------------------------------------------------
// Pages

const NOTICES: Record<string, { kind: "info" | "success"; text: MessageKey }> = {
  "disabled": { kind: "success", text: "accounts.totp.disabled" },
  "recovery-used": { kind: "info", text: "accounts.totp.recoveryUsed" },
  "enrollment-expired": { kind: "info", text: "accounts.totp.enrollmentExpired" },
};

/** The page's translator, for titles (bodies translate themselves when they render). */
const text = (c: Context<Env>) => translator(requestLocale(c));

function NoticeFor({ notice }: { notice?: string }) {
  const { t } = usePage();
  const n = notice && Object.hasOwn(NOTICES, notice) ? NOTICES[notice] : undefined;
  return n ? <Notice kind={n.kind}>{t(n.text)}</Notice> : null;
}

async function qrDataUri(uri: string): Promise<string> {
  const svg: string = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return `data:image/svg+xml;base64,${btoa(svg)}`;
}

interface EnrollProps {
  secret: string;
  uri: string;
  qr: string;
  errors?: FieldErrors;
  notice?: string;
}

function EnrollPage({ secret, uri, qr, errors = {}, notice }: EnrollProps) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("accounts.totp.enrollHeading")}</h1>
      <NoticeFor notice={notice} />
      <p>{t("accounts.totp.enrollLead")}</p>
      <ol class="stack">
        <li>
          <p>{t("accounts.totp.scan")}</p>
          <figure class="totp-qr" data-otpauth-uri={uri}>
            <img src={qr} width={200} height={200} alt={t("accounts.totp.qrAlt")} />
          </figure>
          <p>{t("accounts.totp.cannotScan")}</p>
          <p class="copyable">
            <code class="totp-secret">{groupSecret(secret)}</code>{" "}
            <CopyButton text={secret} label={t("accounts.totp.copyKey")} words={copyWords(t)} />
          </p>
        </li>
        <li>
          <p>{t("accounts.totp.enterCode")}</p>
          <Form action="/account/totp/confirm">
            <Field
              name="code"
              label={t("accounts.totp.codeFromApp")}
              inputmode="numeric"
              autocomplete="one-time-code"
              required
              autofocus
              error={errors.code}
            />
            <button type="submit">{t("accounts.totp.turnOn")}</button>
          </Form>
        </li>
      </ol>
      <Form action="/account/totp" class="inline">
        <button type="submit" class="link">{t("accounts.totp.startOver")}</button>
      </Form>
    </section>
  );
}

function RecoveryCodesPage({ codes, heading }: { codes: string[]; heading: MessageKey }) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t(heading)}</h1>
      <Notice kind="success">{t("accounts.totp.saveCodes")}</Notice>
      <p>{t("accounts.totp.codesLead")}</p>
      <ul class="recovery-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p>
        <CopyButton text={codes.join("\n")} label={t("accounts.totp.copyAll")} words={copyWords(t)} />
      </p>
      <p>
        <a href="/account/totp" class="button">{t("accounts.totp.savedCodes")}</a>
      </p>
    </section>
  );
}

interface StatusProps {
  remaining: number;
  errors?: FieldErrors;
  notice?: string;
}

function StatusPage({ remaining, errors = {}, notice }: StatusProps) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("accounts.totp.title")}</h1>
      <NoticeFor notice={notice} />
      <Notice kind="success">{t("accounts.totp.isOn")}</Notice>
      <p>
        {t("accounts.totp.remaining", { remaining, total: RECOVERY_CODE_COUNT })}
        {remaining <= 3 && ` ${t("accounts.totp.lowCodes")}`}
      </p>

      <h2>{t("accounts.totp.newCodes")}</h2>
      <p>{t("accounts.totp.newCodesLead")}</p>
      <Form action="/account/totp/recovery-codes">
        <Field
          id="f-recovery-code"
          name="code"
          label={t("accounts.totp.codeOrRecovery")}
          autocomplete="one-time-code"
          required
          error={errors.recoveryCode}
        />
        <button type="submit">{t("accounts.totp.makeNew")}</button>
      </Form>

      <h2>{t("accounts.totp.turnOff")}</h2>
      <p>{t("accounts.totp.turnOffLead")}</p>
      <Form action="/account/totp/disable">
        <Field
          name="password"
          label={t("accounts.totp.yourPassword")}
          type="password"
          autocomplete="current-password"
          required
          error={errors.password}
        />
        <Field
          id="f-disable-code"
          name="code"
          label={t("accounts.totp.codeOrRecovery")}
          autocomplete="one-time-code"
          required
          error={errors.code}
        />
        <button type="submit" class="danger">{t("accounts.totp.turnOff")}</button>
      </Form>
    </section>
  );
}

async function renderEnroll(
  c: Context<Env>,
  user: User,
  secret: string,
  opts: { status?: number; errors?: FieldErrors; notice?: string } = {},
): Promise<Response> {
  const uri = otpauthUri(secret, user.email);
  const qr = await qrDataUri(uri);
  return renderPage(c, <EnrollPage secret={secret} uri={uri} qr={qr} errors={opts.errors} notice={opts.notice} />, {
    title: text(c)("accounts.totp.title"),
    status: opts.status,
  });
}

async function renderStatus(
  c: Context<Env>,
  user: User,
  opts: { status?: number; errors?: FieldErrors; notice?: string } = {},
): Promise<Response> {
  const remaining = await countRecoveryCodes(c.get("deps").kv, user.id);
  return renderPage(c, <StatusPage remaining={remaining} errors={opts.errors} notice={opts.notice} />, {
    title: text(c)("accounts.totp.title"),
    status: opts.status,
  });
}

/** Gives the session a fresh enrollment secret (replacing any pending one) and returns it. */
async function startEnrollment(c: Context<Env>): Promise<string> {
  const { kv } = c.get("deps");
  const secret = newTotpSecret();
  const sealed = await sealPendingTotpSecret(kv, c.get("user")!.id, secret);
  await updateSession(kv, c.get("session")!.tokenHash, { pendingTotpSecret: sealed });
  return secret;
}

// ---------------------------------------------------------------------------------------------
// Enrollment and management

// "/account/totp/*" also matches "/account/totp" itself.
accountTotpRoutes.use("/account/totp/*", requireUser(), requireBrowserSession());

accountTotpRoutes.get("/account/totp", async (c) => {
  const user = c.get("user")!;
  const notice = c.req.query("notice");
  if (user.totpSecret) return await renderStatus(c, user, { notice });
  const pending = c.get("session")!.session.pendingTotpSecret;
  const secret = (pending && await openPendingTotpSecret(c.get("deps").kv, user.id, pending)) ||
    await startEnrollment(c);
  return await renderEnroll(c, user, secret, { notice });
});

accountTotpRoutes.post("/account/totp", async (c) => {
  const user = c.get("user")!;
  if (user.totpSecret) return c.redirect("/account/totp", 303);
  return await renderEnroll(c, user, await startEnrollment(c));
});

accountTotpRoutes.post("/account/totp/confirm", async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  if (user.totpSecret) return c.redirect("/account/totp", 303);
  const session = c.get("session")!;
  const pending = session.session.pendingTotpSecret;
  const secret = pending && await openPendingTotpSecret(kv, user.id, pending);
  if (!secret) return c.redirect("/account/totp?notice=enrollment-expired", 303);
  const subjects = totpLimitSubjects(c, user.id);
  const parsed = await parseForm(c, z.object({ code: appCode }));
  if (!parsed.ok) return await renderEnroll(c, user, secret, { status: 422, errors: parsed.errors });
  // Reserved before the code is checked; a wrong code keeps it as its recorded failure.
  const attempt = await reserveAttempt(kv, TOTP_LIMIT_SCOPE, subjects);
  if (!(await verifyTotp(kv, user.id, secret, parsed.data.code))) {
    return await renderEnroll(c, user, secret, {
      status: 422,
      errors: { code: "accounts.error.codeMismatch" },
    });
  }
  await attempt.release([subjects[0]]);
  const enabled = await enableTwoFactor(kv, user.id, secret);
  if (!enabled) throw new Unauthorized();
  await updateSession(kv, session.tokenHash, { pendingTotpSecret: undefined });
  log.info("two-factor sign-in turned on", { userId: user.id });
  return renderPage(c, <RecoveryCodesPage codes={enabled.recoveryCodes} heading="accounts.totp.onHeading" />, {
    title: text(c)("accounts.totp.codesTitle"),
  });
});

accountTotpRoutes.post("/account/totp/disable", async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  if (!user.totpSecret) return c.redirect("/account/totp", 303);
  const subjects = totpLimitSubjects(c, user.id);
  const parsed = await parseForm(c, z.object({ password: rules.password, code: rules.totpCode }));
  if (!parsed.ok) return await renderStatus(c, user, { status: 422, errors: parsed.errors });
  // Reserved before the password and code are checked; a wrong one keeps it as its failure.
  const attempt = await reserveAttempt(kv, TOTP_LIMIT_SCOPE, subjects);
  // The password first, so a wrong password never uses up a recovery code.
  if (!(await verifyPassword(user.passwordHash, parsed.data.password))) {
    return await renderStatus(c, user, { status: 422, errors: { password: "accounts.error.passwordWrong" } });
  }
  if (!(await verifySecondFactor(kv, user, parsed.data.code))) {
    return await renderStatus(c, user, { status: 422, errors: { code: WRONG_CODE } });
  }
  await attempt.release([subjects[0]]);
  await disableTwoFactor(kv, user.id);
  log.info("two-factor sign-in turned off", { userId: user.id });
  return c.redirect("/account/totp?notice=disabled", 303);
});

accountTotpRoutes.post("/account/totp/recovery-codes", async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  if (!user.totpSecret) return c.redirect("/account/totp", 303);
  const subjects = totpLimitSubjects(c, user.id);
  const parsed = await parseForm(c, z.object({ code: rules.totpCode }));
  // The status page has two `code` fields; this form's message goes under its own.
  if (!parsed.ok) return await renderStatus(c, user, { status: 422, errors: { recoveryCode: parsed.errors.code } });
  // Reserved before the code is checked; a wrong code keeps it as its recorded failure.
  const attempt = await reserveAttempt(kv, TOTP_LIMIT_SCOPE, subjects);
  if (!(await verifySecondFactor(kv, user, parsed.data.code))) {
    return await renderStatus(c, user, { status: 422, errors: { recoveryCode: WRONG_CODE } });
  }
  await attempt.release([subjects[0]]);
  const codes = await regenerateRecoveryCodes(kv, user.id);
  log.info("recovery codes replaced", { userId: user.id });
  return renderPage(c, <RecoveryCodesPage codes={codes} heading="accounts.totp.newCodesHeading" />, {
    title: text(c)("accounts.totp.codesTitle"),
  });
});
