// Meeting reminders on this device: registers the service worker (/sw.js), subscribes or
// unsubscribes this browser with the server's VAPID key, and lists the person's other devices.

import { useEffect, useState } from "preact/hooks";
import type { MessageKey, Translate } from "../lib/i18n/client.ts";

export interface PushDevice {
  /** SHA-256 (hex) of the device's push endpoint. */
  id: string;
  label: string;
  createdAt: string;
}

export interface PushSettingsProps {
  /** The server's VAPID public key (base64url), the browser's `applicationServerKey`. */
  vapidPublicKey: string;
  devices: PushDevice[];
  /** What the island says, in the page's language (`pushWords`). */
  words: PushWords;
}

/** The island's sentences, by their push.* key's last part. */
const WORDS = [
  "checking",
  "unsupported",
  "denied",
  "off",
  "on",
  "working",
  "workerFailed",
  "serverAnswered",
  "stop",
  "start",
  "yourDevices",
  "none",
  "thisDevice",
  "since",
  "remove",
] as const;
type Word = typeof WORDS[number];
/**
 * The island's words, translated by the server: plain strings, with `{name}` where a value the
 * browser learns goes (no message runtime in this island; it shares no chunk with the meeting's).
 */
export type PushWords = Record<Word, string>;

/** Placeholders the island fills, per word. */
const SLOTS: Partial<Record<Word, string[]>> = {
  workerFailed: ["error"],
  serverAnswered: ["status"],
  thisDevice: ["label"],
  since: ["date"],
};

/** The island's words in `t`'s language, each placeholder left as `{name}` for the island. */
export function pushWords(t: Translate): PushWords {
  return Object.fromEntries(WORDS.map((w) => {
    const slots = Object.fromEntries((SLOTS[w] ?? []).map((s) => [s, `{${s}}`]));
    return [w, t(`push.${w}` as MessageKey, slots)];
  })) as PushWords;
}

function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (all, name: string) => Object.hasOwn(values, name) ? String(values[name]) : all);
}

type Status =
  | "checking"
  | "unsupported"
  | "denied"
  | "off"
  | "on"
  | "working";

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in globalThis && "Notification" in globalThis &&
    globalThis.isSecureContext;
}

/** What a refusal says: the island's sentence, then the server's own words (the API speaks English). */
async function problemText(words: PushWords, res: Response): Promise<string> {
  const said = fill(words.serverAnswered, { status: res.status });
  try {
    const body = await res.json();
    const fields = body.errors ? Object.values(body.errors as Record<string, string>) : [];
    const detail = [body.detail, ...fields].filter(Boolean).join(" ");
    return detail ? `${said} (${detail})` : said;
  } catch {
    return said;
  }
}

export default function PushSettings({ vapidPublicKey, devices: initialDevices, words }: PushSettingsProps) {
  const [status, setStatus] = useState<Status>("checking");
  const [error, setError] = useState<string | null>(null);
  const [devices, setDevices] = useState<PushDevice[]>(initialDevices);
  const [thisDevice, setThisDevice] = useState<string | null>(null);
  const [registration, setRegistration] = useState<ServiceWorkerRegistration | null>(null);

  useEffect(() => {
    if (!pushSupported()) {
      setStatus("unsupported");
      return;
    }
    (async () => {
      try {
        const reg = await navigator.serviceWorker.register("/sw.js", { scope: "/" });
        setRegistration(reg);
        const sub = await reg.pushManager.getSubscription();
        if (sub) setThisDevice(await sha256Hex(sub.endpoint));
        if (Notification.permission === "denied") setStatus("denied");
        else setStatus(sub ? "on" : "off");
      } catch (err) {
        setError(fill(words.workerFailed, { error: (err as Error).message }));
        setStatus("unsupported");
      }
    })();
  }, []);

  async function refreshDevices() {
    const res = await fetch("/account/notifications/devices", { headers: { accept: "application/json" } });
    if (res.ok) setDevices((await res.json()).devices);
  }

  async function subscribe() {
    if (!registration) return;
    setError(null);
    setStatus("working");
    try {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        setStatus(permission === "denied" ? "denied" : "off");
        return;
      }
      await navigator.serviceWorker.ready;
      let sub: PushSubscription;
      try {
        sub = await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: base64UrlToBytes(vapidPublicKey),
        });
      } catch (err) {
        // Browsers without a reachable push service (some headless and privacy builds) fail here.
        setError(`${words.unsupported} (${(err as Error).message})`);
        setStatus("off");
        return;
      }
      const res = await fetch("/api/v1/push/subscriptions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(sub.toJSON()),
      });
      if (!res.ok) {
        await sub.unsubscribe();
        setError(await problemText(words, res));
        setStatus("off");
        return;
      }
      setThisDevice(await sha256Hex(sub.endpoint));
      setStatus("on");
      await refreshDevices();
    } catch (err) {
      setError((err as Error).message);
      setStatus("off");
    }
  }

  async function unsubscribe() {
    if (!registration) return;
    setError(null);
    setStatus("working");
    try {
      const sub = await registration.pushManager.getSubscription();
      if (sub) {
        const res = await fetch("/api/v1/push/subscriptions", {
          method: "DELETE",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ endpoint: sub.endpoint }),
        });
        if (!res.ok && res.status !== 404) throw new Error(await problemText(words, res));
        await sub.unsubscribe();
      }
      setThisDevice(null);
      setStatus("off");
      await refreshDevices();
    } catch (err) {
      setError((err as Error).message);
      setStatus("on");
    }
  }

  async function removeDevice(id: string) {
    setError(null);
    const res = await fetch(`/account/notifications/devices/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (!res.ok && res.status !== 404) {
      setError(await problemText(words, res));
      return;
    }
    if (id === thisDevice) {
      await (await registration?.pushManager.getSubscription())?.unsubscribe();
      setThisDevice(null);
      setStatus("off");
    }
    await refreshDevices();
  }

  return (
    <div class="push-settings">
      <p class="push-status" role="status" aria-live="polite">
        {words[status]}
      </p>
      {error && <p class="notice error" role="alert">{error}</p>}
      <p>
        {status === "on"
          ? <button type="button" class="push-unsubscribe" onClick={unsubscribe}>{words.stop}</button>
          : (
            <button
              type="button"
              class="push-subscribe"
              disabled={status !== "off"}
              onClick={subscribe}
            >
              {words.start}
            </button>
          )}
      </p>
      <h3>{words.yourDevices}</h3>
      {devices.length === 0 ? <p class="device-none">{words.none}</p> : (
        <ul class="device-list">
          {devices.map((d) => (
            <li key={d.id} class={d.id === thisDevice ? "device-item device-this" : "device-item"}>
              <span class="device-label">
                {d.id === thisDevice ? fill(words.thisDevice, { label: d.label }) : d.label}
              </span>{" "}
              <time datetime={d.createdAt}>{fill(words.since, { date: d.createdAt.slice(0, 10) })}</time>{" "}
              <button type="button" class="danger" onClick={() => removeDevice(d.id)}>{words.remove}</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
