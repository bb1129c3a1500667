// The "Meetings" page: meetings the signed-in person hosted or attended, with date, duration and
// attendance, and the hosts' downloads; paged by cursor (rel=next / rel=prev links).

import { Hono } from "hono";
import { requireUser } from "../lib/web/middleware.ts";
import { ValidationError } from "../lib/common/errors.ts";
import { InvalidCursor } from "../lib/accounts/users.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { formatMeetingId } from "../lib/meetings/store.ts";
import { formatDuration, meetingHistory } from "../lib/meetings/history.ts";

export const historyRoutes = new Hono<Env>();

historyRoutes.get("/meetings", requireUser(), async (c) => {
  const cursor = c.req.query("cursor");
  let page;
  try {
    page = await meetingHistory(c.get("deps").kv, c.get("user")!.id, { cursor: cursor || undefined });
  } catch (err) {
    if (err instanceof InvalidCursor) throw new ValidationError({ cursor: err.message }, "This page link is not valid");
    throw err;
  }
  const { items, next, prev } = page;
  const link = (cur: string) => `/meetings?${new URLSearchParams({ cursor: cur })}`;
  return renderPage(
    c,
    <section class="card">
      <h1>Meetings</h1>
      {items.length === 0
        ? <p class="empty">{cursor ? "No more meetings." : "No meetings yet."}</p>
        : (
          <table class="history">
            <thead>
              <tr>
                <th scope="col">Meeting</th>
                <th scope="col">Date</th>
                <th scope="col">Duration</th>
                <th scope="col">People</th>
                <th scope="col">Records</th>
              </tr>
            </thead>
            <tbody>
              {items.map((it) => (
                <tr key={it.meeting.id} class="history-row" data-meeting-id={it.meeting.meetingId}>
                  <td>
                    {it.meeting.title}
                    <span class="history-id">{formatMeetingId(it.meeting.meetingId)}</span>
                    {it.hosted && <span class="history-role">host</span>}
                  </td>
                  <td>
                    {it.startedAt
                      ? <time datetime={it.startedAt}>{it.startedAt.slice(0, 16).replace("T", " ")} UTC</time>
                      : "Not started"}
                  </td>
                  <td>
                    {it.durationSeconds !== null
                      ? formatDuration(it.durationSeconds)
                      : it.startedAt && it.meeting.status === "open"
                      ? "In progress"
                      : "—"}
                  </td>
                  <td class="history-count">{it.participantCount}{it.participantCountCapped ? "+" : ""}</td>
                  <td>
                    {it.hosted && it.startedAt
                      ? (
                        <>
                          <a href={`/meetings/${it.meeting.meetingId}/attendance.csv`}>Attendance</a>{" "}
                          <a href={`/meetings/${it.meeting.meetingId}/transcript.txt`}>Chat</a>
                        </>
                      )
                      : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      {(prev || next) && (
        <nav class="pager" aria-label="Pages">
          {prev ? <a href={link(prev)} rel="prev">← Newer</a> : <span />}
          {prev ? <a href="/meetings">Newest</a> : <span />}
          {next ? <a href={link(next)} rel="next">Older →</a> : <span />}
        </nav>
      )}
    </section>,
    { title: "Meetings" },
  );
});
