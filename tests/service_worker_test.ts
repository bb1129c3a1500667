// static/sw.js run against a fake worker scope: which window a reminder's click focuses or opens
// (with the payload the server really sends, lib/reminders/planning.ts meetingUrl), what a push
// shows, and which requests the worker answers itself. The browser side is tests/pwa_browser_test.ts.

import assert from "node:assert/strict";
import { meetingUrl } from "../lib/reminders/planning.ts";
import type { Meeting } from "../lib/meetings/store.ts";

const ORIGIN = "https://meet.example.org";
const SOURCE = await Deno.readTextFile(new URL("../static/sw.js", import.meta.url));

interface FakeWindow {
  url: string;
  focused: boolean;
  focus(): Promise<FakeWindow>;
}

// deno-lint-ignore no-explicit-any -- the events are plain objects shaped like the worker's
type Handler = (event: any) => void;

/** Evaluates the worker's source with `self` a fake ServiceWorkerGlobalScope; returns its handlers and effects. */
function loadWorker(windowUrls: string[]) {
  const handlers = new Map<string, Handler>();
  const windows: FakeWindow[] = windowUrls.map((url): FakeWindow => ({
    url,
    focused: false,
    focus() {
      this.focused = true;
      return Promise.resolve(this);
    },
  }));
  const opened: string[] = [];
  const notifications: { title: string; options: { body: string; tag: string; data: { url: string } } }[] = [];
  const self = {
    TALKSPACE_BUILD: { version: "test", shell: ["/offline"], offline: "/offline", icon: "/static/icon.png" },
    location: new URL(`${ORIGIN}/sw.js`),
    addEventListener: (type: string, fn: Handler) => handlers.set(type, fn),
    clients: {
      matchAll: () => Promise.resolve(windows),
      openWindow: (url: string) => {
        opened.push(url);
        return Promise.resolve(null);
      },
    },
    registration: {
      showNotification: (title: string, options: (typeof notifications)[number]["options"]) => {
        notifications.push({ title, options });
        return Promise.resolve();
      },
    },
  };
  new Function("self", "caches", "fetch", SOURCE)(self, undefined, undefined);
  const fire = async (type: string, event: Record<string, unknown>) => {
    let waited: Promise<unknown> = Promise.resolve();
    let responded: unknown = null;
    handlers.get(type)!({
      ...event,
      waitUntil: (p: Promise<unknown>) => (waited = p),
      respondWith: (r: unknown) => (responded = r),
    });
    await waited;
    return { responded };
  };
  const click = (url: unknown) => fire("notificationclick", { notification: { data: { url }, close() {} } });
  return { handlers, windows, opened, notifications, fire, click };
}

const meeting = { meetingId: "01JABCDEF", linkToken: "tok en/+" } as unknown as Meeting;
const reminderUrl = meetingUrl(ORIGIN, meeting);

Deno.test("a reminder's click focuses the tab already on that meeting, though its address lost the ?pwd= token", async () => {
  const w = loadWorker([`${ORIGIN}/dashboard`, `${ORIGIN}/m/01JABCDEF`, `${ORIGIN}/m/01JOTHER`]);
  await w.click(reminderUrl);
  assert.deepEqual(w.windows.map((x) => x.focused), [false, true, false]);
  assert.deepEqual(w.opened, []);
});

Deno.test("a reminder's click opens the meeting link, token and all, when no tab shows it", async () => {
  const w = loadWorker([`${ORIGIN}/dashboard`, `${ORIGIN}/m/01JABCDEFG`]);
  await w.click(reminderUrl);
  assert.deepEqual(w.opened, [reminderUrl]);
  assert.ok(w.windows.every((x) => !x.focused));
  assert.match(w.opened[0], /\/m\/01JABCDEF\?pwd=tok%20en%2F%2B$/);
});

Deno.test("a click never leaves the site: another origin keeps only its path here, bad values go home", async () => {
  const w = loadWorker([]);
  await w.click("https://evil.example/m/01JABCDEF?pwd=x");
  await w.click("javascript:alert(1)");
  await w.click(undefined);
  await w.click("http://[::1");
  assert.deepEqual(w.opened, [`${ORIGIN}/m/01JABCDEF?pwd=x`, `${ORIGIN}/`, `${ORIGIN}/`, `${ORIGIN}/`]);
});

Deno.test("a push shows the reminder with the meeting link as its tag and click target", async () => {
  const w = loadWorker([]);
  const payload = { title: "Weekly sync", body: "starts in 10 minutes", url: reminderUrl };
  await w.fire("push", { data: { json: () => payload, text: () => JSON.stringify(payload) } });
  assert.equal(w.notifications.length, 1);
  const [n] = w.notifications;
  assert.equal(n.title, "Weekly sync");
  assert.equal(n.options.body, "starts in 10 minutes");
  assert.equal(n.options.tag, reminderUrl);
  assert.equal(n.options.data.url, reminderUrl);
  // The click on that very notification goes to the meeting.
  await w.click(n.options.data.url);
  assert.deepEqual(w.opened, [reminderUrl]);
});

Deno.test("the worker answers navigations and hashed files, and leaves the API, POSTs and other origins alone", async () => {
  const w = loadWorker([]);
  const answers = async (url: string, init: { method?: string; mode?: string } = {}) => {
    const request = { url, method: init.method ?? "GET", mode: init.mode ?? "cors" };
    const { responded } = await w.fire("fetch", { request, preloadResponse: Promise.resolve(undefined) });
    if (responded) (responded as Promise<unknown>).catch(() => {}); // no network in this fake scope
    return responded !== null;
  };
  assert.equal(await answers(`${ORIGIN}/m/0123456789`, { mode: "navigate" }), true);
  assert.equal(await answers(`${ORIGIN}/_islands/runtime-9037e7018c4c.js`), true);
  assert.equal(await answers(`${ORIGIN}/static/app-1bc07323df09.css`), true);
  assert.equal(await answers(`${ORIGIN}/static/app.css`), false, "unhashed names are revalidated by the browser");
  assert.equal(await answers(`${ORIGIN}/api/v1/me`), false);
  assert.equal(await answers(`${ORIGIN}/account/notifications/devices`), false);
  assert.equal(await answers(`${ORIGIN}/sw.js`), false);
  assert.equal(await answers(`${ORIGIN}/meetings/01JABCDEF/media`, { method: "POST" }), false);
  assert.equal(await answers(`${ORIGIN}/signin`, { method: "POST", mode: "navigate" }), false);
  assert.equal(await answers("https://cdn.example/_islands/x-123456.js"), false);
});
