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

const log = logger("tokens");

export const tokenRoutes = new Hono<Env>();

/** Enough for every script and integration a person runs; more is almost certainly a leak. */
export const MAX_TOKENS_PER_PERSON = 50;

const tokenForm = z.object({
  name: z.string().overwrite(cleanLine).trim().min(1, "Give the token a name, like “calendar sync”").max(
    100,
    "Use at most 100 characters",
  ),
});

const NOTICES: Record<string, string> = {
  revoked: "The token is revoked. Programs using it can no longer sign in.",
};

function formatTime(iso: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone }).format(
      new Date(iso),
    );
  } catch {
    return iso;
  }
}

interface TokensProps {
  user: User;
  tokens: ApiToken[];
  created?: { token: ApiToken; secret: string };
  errors?: FieldErrors;
  values?: Record<string, string>;
  notice?: string;
}

function TokensPage({ user, tokens, created, errors = {}, values = {}, notice }: TokensProps) {
  return (
    <section class="card">
      <h1>API tokens</h1>
      {notice && NOTICES[notice] && <Notice kind="success">{NOTICES[notice]}</Notice>}
      <p>
        A token lets a script or another program use the Talkspace API as you. Send it as{" "}
        <code>Authorization: Bearer &lt;token&gt;</code>. Anyone who has a token can act as you, so keep it secret and
        revoke it when you no longer need it.
      </p>

      {created && (
        <div class="token-created">
          <Notice kind="success">
            Your new token “{created.token.name}” is below. Copy it now: it is shown only this once.
          </Notice>
          <p class="copyable">
            <code class="token-secret">{created.secret}</code> <CopyButton text={created.secret} label="Copy token" />
          </p>
        </div>
      )}

      <h2>Your tokens</h2>
      {tokens.length === 0 ? <p>You have no API tokens.</p> : (
        <table class="token-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>
                  <code>{t.prefix}…</code>
                </td>
                <td>
                  <time datetime={t.createdAt}>{formatTime(t.createdAt, user.timeZone)}</time>
                </td>
                <td>
                  {t.lastUsedAt
                    ? <time datetime={t.lastUsedAt}>{formatTime(t.lastUsedAt, user.timeZone)}</time>
                    : "Never"}
                </td>
                <td>
                  <Form action={`/account/tokens/${encodeURIComponent(t.id)}/revoke`} class="inline">
                    <button type="submit" class="danger">Revoke</button>
                  </Form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Create a token</h2>
      <Form action="/account/tokens">
        <Field
          name="name"
          label="Name"
          value={values.name}
          error={errors.name}
          required
          hint="What the token is for, so you recognise it later."
        />
        <button type="submit">Create token</button>
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
  return renderPage(c, <TokensPage user={user} tokens={tokens} {...props} />, { title: "API tokens", status });
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
      errors: { name: `You already have ${MAX_TOKENS_PER_PERSON} tokens. Revoke one you no longer use first.` },
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
  if (!(await revokeApiToken(c.get("deps").kv, user.id, id))) throw new NotFound("There is no such token among yours");
  log.info("API token revoked", { userId: user.id, id });
  return c.redirect("/account/tokens?notice=revoked", 303);
});
