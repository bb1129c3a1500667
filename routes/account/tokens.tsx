// Personal access tokens for the REST API: list, create (the secret is shown once), revoke.

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { cleanLine } from "../../lib/common/text.ts";
import { Field, Form, Notice } from "../../components/Form.tsx";
import type { ApiToken } from "../../lib/accounts/api_tokens.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "../../lib/accounts/api_tokens.ts";
import type { User } from "../../lib/accounts/users.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { NotFound } from "../../lib/common/errors.ts";
import { requireBrowserSession, requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { parseForm } from "../../lib/web/validate.ts";
import { logger } from "../../lib/common/log.ts";
import { CopyButton } from "../../islands/mod.ts";
import { copyWords } from "../../islands/CopyButton.tsx";
import { Interpolated } from "../../components/Interpolated.tsx";
import { LocalTime } from "../../components/LocalTime.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";

const log = logger("tokens");

export const tokenRoutes = new Hono<Env>();

/** Enough for every script and integration a person runs; more is almost certainly a leak. */
export const MAX_TOKENS_PER_PERSON = 50;

const tokenForm = z.object({
  name: z.string().overwrite(cleanLine).trim().min(1, "accounts.error.tokenName").max(100, "accounts.error.tooLong100"),
});

const NOTICES: Record<string, MessageKey> = {
  revoked: "accounts.tokens.revoked",
};

interface TokensProps {
  user: User;
  tokens: ApiToken[];
  created?: { token: ApiToken; secret: string };
  errors?: FieldErrors;
  values?: Record<string, string>;
  notice?: string;
}

function TokensPage({ user, tokens, created, errors = {}, values = {}, notice }: TokensProps) {
  const { t } = usePage();
  return (
    <section class="card">
      <h1>{t("accounts.tokens.title")}</h1>
      {notice && Object.hasOwn(NOTICES, notice) && <Notice kind="success">{t(NOTICES[notice])}</Notice>}
      <p>
        <Interpolated id="accounts.tokens.lead" slot="header">
          <code>Authorization: Bearer &lt;token&gt;</code>
        </Interpolated>
      </p>

      {created && (
        <div class="token-created">
          <Notice kind="success">{t("accounts.tokens.created", { name: created.token.name })}</Notice>
          <p class="copyable">
            <code class="token-secret">{created.secret}</code>{" "}
            <CopyButton text={created.secret} label={t("accounts.tokens.copy")} words={copyWords(t)} />
          </p>
        </div>
      )}

      <h2>{t("accounts.tokens.yours")}</h2>
      {tokens.length === 0 ? <p>{t("accounts.tokens.none")}</p> : (
        <table class="token-table">
          <thead>
            <tr>
              <th scope="col">{t("accounts.tokens.name")}</th>
              <th scope="col">{t("accounts.tokens.prefix")}</th>
              <th scope="col">{t("accounts.tokens.createdAt")}</th>
              <th scope="col">{t("accounts.tokens.lastUsed")}</th>
              <th scope="col">
                <span class="visually-hidden">{t("accounts.tokens.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>
                  <LocalTime iso={token.createdAt} timeZone={user.timeZone} />
                </td>
                <td>
                  {token.lastUsedAt
                    ? <LocalTime iso={token.lastUsedAt} timeZone={user.timeZone} />
                    : t("accounts.tokens.never")}
                </td>
                <td>
                  <Form action={`/account/tokens/${encodeURIComponent(token.id)}/revoke`} class="inline">
                    <button type="submit" class="danger">{t("accounts.tokens.revoke")}</button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>{t("accounts.tokens.createHeading")}</h2>
      <Form action="/account/tokens">
        <Field
          name="name"
          label={t("accounts.tokens.name")}
          value={values.name}
          error={errors.name}
          required
          hint={t("accounts.tokens.nameHint")}
        />
        <button type="submit">{t("accounts.tokens.create")}</button>
      </Form>
    </section>
  );
}

async function renderTokens(
  c: Context<Env>,
  props: Omit<TokensProps, "user" | "tokens">,
  status = 200,
): Promise<Response> {
  const user = c.get("user")!;
  const tokens = await listApiTokens(c.get("deps").kv, user.id);
  return renderPage(c, <TokensPage user={user} tokens={tokens} {...props} />, {
    title: translator(requestLocale(c))("accounts.tokens.title"),
    status,
  });
}

// "/account/tokens/*" also matches "/account/tokens" itself.
tokenRoutes.use("/account/tokens/*", requireUser(), requireBrowserSession());

tokenRoutes.get("/account/tokens", async (c) => {
  return await renderTokens(c, { notice: c.req.query("notice") });
});

tokenRoutes.post("/account/tokens", async (c) => {
  const { kv } = c.get("deps");
  const user = c.get("user")!;
  const parsed = await parseForm(c, tokenForm);
  if (!parsed.ok) return await renderTokens(c, { errors: parsed.errors, values: parsed.values }, 422);
  if ((await listApiTokens(kv, user.id)).length >= MAX_TOKENS_PER_PERSON) {
    return await renderTokens(c, {
      // A message with a value: translated here (this page is never cached), not by the field.
      errors: { name: translator(requestLocale(c))("accounts.error.tooManyTokens", { max: MAX_TOKENS_PER_PERSON }) },
      values: parsed.values,
    }, 422);
  }
  const created = await createApiToken(kv, user.id, parsed.data.name);
  log.info("API token created", { userId: user.id, id: created.token.id });
  return await renderTokens(c, { created });
});

tokenRoutes.post("/account/tokens/:id/revoke", async (c) => {
  const user = c.get("user")!;
  const id = c.req.param("id");
  if (!(await revokeApiToken(c.get("deps").kv, user.id, id))) throw new NotFound("accounts.error.noToken");
  log.info("API token revoked", { userId: user.id, id });
  return c.redirect("/account/tokens?notice=revoked", 303);
});
