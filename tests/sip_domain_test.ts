// The SIP address people dial: PUBLIC_URL's host when SIP_DOMAIN is unset (the gateway answers
// on 5060 there by default), SIP_DOMAIN when set, nothing with SIP_DOMAIN=off; the same on the
// meeting page, in the API and in invitations.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp } from "./support/app.ts";
import { loadConfig } from "../lib/common/config.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";

/** What a host sees: the SIP address on the meeting page and in the API ("" when absent). */
async function shownSipAddress(t: TestApp): Promise<{ meetingId: string; page: string; api: string }> {
  const u = await createUser(t.kv, { name: "Hana", email: "hana@example.org", passwordHash: "x" });
  await updateUser(t.kv, u.id, () => ({ emailVerified: true }));
  const { secret } = await createApiToken(t.kv, u.id, "sip test");
  const auth = { authorization: `Bearer ${secret}` };
  const api = t.client();
  const created = await api.sendJson("POST", "/api/v1/meetings", { settings: { lobby: false } }, auth);
  assert.equal(created.status, 201);
  const { meetingId, joinUrl } = await created.json();
  const got = await (await api.get(`/api/v1/meetings/${meetingId}`, auth)).json();

  const host = t.client();
  host.cookies.set("ts_session", (await createSession(t.kv, u.id, "full")).token);
  // The invitation link admits the host (a redirect that drops the token), then the meeting page.
  const viaLink = await host.get(new URL(joinUrl).pathname + new URL(joinUrl).search);
  assert.equal(viaLink.status, 303);
  const res = await host.get(`/m/${meetingId}`);
  assert.equal(res.status, 200);
  const html = await res.text();
  const onPage = /class="invite-sip">([^<]*)</.exec(html)?.[1] ?? "";
  return { meetingId, page: onPage, api: got.sipUri ?? "" };
}

Deno.test("SIP_DOMAIN unset: the meeting page and the API show sip:<id>@<host of PUBLIC_URL>", async () => {
  const t = await makeTestApp({ PUBLIC_URL: "http://meet.example.org:8000" });
  try {
    const { meetingId, page, api } = await shownSipAddress(t);
    assert.equal(api, `sip:${meetingId}@meet.example.org`);
    assert.equal(page, `sip:${meetingId}@meet.example.org`, "the host's invite panel shows it");
  } finally {
    t.close();
  }
});

Deno.test("SIP_DOMAIN set is used as is; SIP_DOMAIN=off shows no SIP address anywhere", async () => {
  const set = await makeTestApp({ PUBLIC_URL: "http://meet.example.org:8000", SIP_DOMAIN: "sip.example.org" });
  try {
    const { meetingId, page, api } = await shownSipAddress(set);
    assert.deepEqual([page, api], [`sip:${meetingId}@sip.example.org`, `sip:${meetingId}@sip.example.org`]);
  } finally {
    set.close();
  }
  const off = await makeTestApp({ PUBLIC_URL: "http://meet.example.org:8000", SIP_DOMAIN: "off" });
  try {
    const { page, api } = await shownSipAddress(off);
    assert.deepEqual([page, api], ["", ""]);
  } finally {
    off.close();
  }
});

Deno.test("SIP_DOMAIN values: empty means the default, junk is refused naming the variable", () => {
  assert.equal(loadConfig({ PUBLIC_URL: "https://meet.example.org", SIP_DOMAIN: " " }).sipDomain, "meet.example.org");
  assert.equal(loadConfig({ PUBLIC_URL: "http://[::1]:8000" }).sipDomain, "[::1]");
  assert.equal(loadConfig({ SIP_DOMAIN: "OFF" }).sipDomain, "");
  assert.equal(loadConfig({ SIP_DOMAIN: "sip.example.org:5070" }).sipDomain, "sip.example.org:5070");
  for (const bad of ["sip:meet.example.org", "user@meet.example.org", "https://meet.example.org", "two words"]) {
    assert.throws(() => loadConfig({ SIP_DOMAIN: bad }), /SIP_DOMAIN must be a host name/, bad);
  }
});
