// The probes that held when the install was probed and must keep holding: markup in titles is
// escaped on every page that shows them, other origins get no CORS grant and no cross-site socket,
// and no response the matrix collected carries a secret the server or an account holds.

import type { World } from "./world.ts";
import { updateUser } from "../../lib/accounts/users.ts";

/** A title that would run script or load an image if any page put it into HTML unescaped. */
export const HOSTILE_TITLE = `<script>alert("t")</script><img src=x onerror=alert(1)>`;
/** Tags that would be live markup (a bare ">" is harmless once "<" is escaped, and Preact leaves it). */
const RAW = ["<script>alert", "<img src=x"];
/** How an escaped title can look: HTML text/attributes, or JSON inside a script (island props). */
const ESCAPED = [/&lt;script(>|&gt;)alert/, /\\u003cscript(>|\\u003e)alert/i];

export interface Findings {
  checks: number;
  problems: string[];
}

/** Every page that shows a meeting's title (or an account's name), fetched by whoever sees it there. */
export async function markupEscaped(w: World): Promise<Findings> {
  const out: Findings = { checks: 0, problems: [] };
  const invitee = `hostile${w.next()}@example.org`;
  const scheduled = await w.freshScheduled({ title: HOSTILE_TITLE, invitees: [invitee] });
  const rsvp = new URL(w.t.mailer.link(invitee, "/rsvp/")).pathname;
  const instant = await w.freshMeeting(HOSTILE_TITLE);
  const enter = await w.clients.owner.get(`/m/${instant.meetingId}`);
  await enter.body?.cancel();
  const guest = await w.guest(instant, "Hostile guest");
  // An account name is shown on the admin pages the same way (stored directly: input cleaning may
  // strip some of it, and what is already stored must render escaped too).
  const named = await w.account("user", `Name${w.next()}`);
  await updateUser(w.kv, named.id, () => ({ name: HOSTILE_TITLE }));
  const pages: [string, () => Promise<Response>][] = [
    ["dashboard", () => w.clients.owner.get("/dashboard")],
    ["meeting history", () => w.clients.owner.get("/meetings")],
    ["admin account list (name)", () => w.clients.admin.get(`/admin/users?q=${encodeURIComponent("alert")}`)],
    ["admin account page (name)", () => w.clients.admin.get(`/admin/users/${named.id}`)],
    ["schedule page", () => w.clients.owner.get(`/meetings/${scheduled.meetingId}/schedule`)],
    ["meeting page (host)", () => w.clients.owner.get(`/m/${instant.meetingId}`)],
    ["meeting page (guest)", () => guest.get(`/m/${instant.meetingId}`)],
    ["join page (anonymous)", () => w.browser().get(`/m/${instant.meetingId}`)],
    ["RSVP page", () => w.browser().get(rsvp)],
    ["RSVP answer", () => w.browser().postForm(rsvp, { answer: "decline" })],
  ];
  for (const [name, fetchPage] of pages) {
    const res = await fetchPage();
    const html = await res.text();
    out.checks += 2;
    if (res.status !== 200) {
      out.problems.push(`${name}: answered ${res.status}, not 200`);
      continue;
    }
    const raw = RAW.filter((r) => html.includes(r));
    if (raw.length) out.problems.push(`${name}: the title's markup is unescaped (${raw.join(", ")})`);
    if (!ESCAPED.some((re) => re.test(html))) out.problems.push(`${name}: the title is not on the page at all`);
  }
  return out;
}

/** No CORS grant for another origin, with or without cookies; the socket refuses cross-site handshakes. */
export async function corsHolds(w: World): Promise<Findings> {
  const out: Findings = { checks: 0, problems: [] };
  const evil = "https://evil.example";
  const probes: [string, Response][] = [
    ["GET /api/v1/me with cookies", await w.clients.owner.get("/api/v1/me", { origin: evil })],
    [
      "preflight for PATCH /api/v1/me",
      await w.clients.owner.request("/api/v1/me", {
        method: "OPTIONS",
        headers: {
          origin: evil,
          "access-control-request-method": "PATCH",
          "access-control-request-headers": "content-type",
        },
      }),
    ],
    [
      "GET /api/v1/meetings/:id with a token",
      await w.clients.ownerToken.get(`/api/v1/meetings/${w.meeting.meetingId}`, { origin: evil }),
    ],
  ];
  for (const [name, res] of probes) {
    await res.body?.cancel();
    out.checks++;
    const grants = [...res.headers.keys()].filter((k) => k.startsWith("access-control-allow"));
    if (grants.length) out.problems.push(`${name}: answered ${grants.join(", ")} to ${evil}`);
  }
  for (const c of w.bodies) {
    out.checks++;
    if (/^access-control-allow-origin:/im.test(c.headers)) {
      out.problems.push(`${c.where}: sent Access-Control-Allow-Origin`);
    }
  }
  const ws = await w.clients.guest.get(`/meetings/${w.meeting.meetingId}/ws`, {
    origin: evil,
    upgrade: "websocket",
    connection: "Upgrade",
  });
  const text = await ws.text();
  out.checks++;
  if (ws.status !== 403 || !/cross-site/i.test(text)) {
    out.problems.push(`a cross-site socket handshake with the guest's cookie answered ${ws.status}, not 403`);
  }
  return out;
}

/** No collected response body contains a known secret or anything shaped like a password hash. */
export function secretsAbsent(w: World): Findings {
  const out: Findings = { checks: 0, problems: [] };
  const secrets = [...w.secrets].filter(([, v]) => v.length >= 16);
  for (const c of w.bodies) {
    for (const [name, value] of secrets) {
      out.checks++;
      if (c.body.includes(value)) out.problems.push(`${c.where}: the response shows the ${name}`);
    }
    out.checks++;
    if (/\$argon2(id|i|d)\$/.test(c.body)) out.problems.push(`${c.where}: the response shows a password hash`);
  }
  return out;
}
