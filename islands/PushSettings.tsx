// Meeting reminders on this device: registers the service worker (/sw.js), subscribes or
// unsubscribes this browser with the server's VAPID key, and lists the person's other devices.

import { useEffect, useMemo, useState } from "preact/hooks";
import { type IslandI18n, makeTranslate, type Translate } from "../lib/i18n/client.ts";

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
  /** The page's language and the island's compiled push.* messages. */
  i18n: IslandI18n;
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
async function problemText(t: Translate, res: Response): Promise<string> {
  const said = t("push.serverAnswered", { status: res.status });
  try {
    const body = await res.json();
    const fields = body.errors ? Object.values(body.errors as Record<string, string>) : [];
    const detail = [body.detail, ...fields].filter(Boolean).join(" ");
    return detail ? `${said} (${detail})` : said;
  } catch {
    return said;
  }
}

export default function PushSettings({ vapidPublicKey, devices: initialDevices, i18n }: PushSettingsProps) {
  const t = useMemo(() => makeTranslate(i18n), [i18n]);
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
        setError(t("push.workerFailed", { error: (err as Error).message }));
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
        setError(`${t("push.unsupported")} (${(err as Error).message})`);
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
        setError(await problemText(t, res));
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
        if (!res.ok && res.status !== 404) throw new Error(await problemText(t, res));
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
      setError(await problemText(t, res));
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
        {t(`push.${status}`)}
      </p>
      {error && <p class="notice error" role="alert">{error}</p>}
      <p>
        {status === "on"
          ? <button type="button" class="push-unsubscribe" onClick={unsubscribe}>{t("push.stop")}</button>
          : (
            <button
              type="button"
              class="push-subscribe"
              disabled={status !== "off"}
              onClick={subscribe}
            >
              {t("push.start")}
            </button>
          )}
      </p>
      <h3>{t("push.yourDevices")}</h3>
      {devices.length === 0 ? <p class="device-none">{t("push.none")}</p> : (
        <ul class="device-list">
          {devices.map((d) => (
            <li key={d.id} class={d.id === thisDevice ? "device-item device-this" : "device-item"}>
              <span class="device-label">
                {d.id === thisDevice ? t("push.thisDevice", { label: d.label }) : d.label}
              </span>{" "}
              <time datetime={d.createdAt}>{t("push.since", { date: d.createdAt.slice(0, 10) })}</time>{" "}
              <button type="button" class="danger" onClick={() => removeDevice(d.id)}>{t("push.remove")}</button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
