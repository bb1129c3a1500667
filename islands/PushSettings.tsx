// Meeting reminders on this device: registers the service worker (/sw.js), subscribes or
// unsubscribes this browser with the server's VAPID key, and lists the person's other devices.

import { useEffect, useState } from "preact/hooks";

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
}

type Status =
  | "checking"
  | "unsupported"
  | "denied"
  | "off"
  | "on"
  | "working";

export const UNSUPPORTED_MESSAGE = "Push notifications are not available in this browser.";

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

async function problemText(res: Response): Promise<string> {
  try {
    const body = await res.json();
    const fields = body.errors ? Object.values(body.errors as Record<string, string>) : [];
    return [body.detail, ...fields].filter(Boolean).join(" ");
  } catch {
    return `The server answered ${res.status}.`;
  }
}

export default function PushSettings({ vapidPublicKey, devices: initialDevices }: PushSettingsProps) {
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
        setError(`The notification worker could not start: ${(err as Error).message}`);
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
        setError(`${UNSUPPORTED_MESSAGE} (${(err as Error).message})`);
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
        setError(await problemText(res));
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
        if (!res.ok && res.status !== 404) throw new Error(await problemText(res));
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
      setError(await problemText(res));
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
        {status === "checking" && "Checking whether this browser can show notifications…"}
        {status === "unsupported" && UNSUPPORTED_MESSAGE}
        {status === "denied" &&
          "Notifications are blocked for this site. Allow them in your browser's site settings, then reload."}
        {status === "off" && "This device does not get meeting reminders."}
        {status === "on" && "This device gets meeting reminders."}
        {status === "working" && "One moment…"}
      </p>
      {error && <p class="notice error" role="alert">{error}</p>}
      <p>
        {status === "on"
          ? <button type="button" class="push-unsubscribe" onClick={unsubscribe}>Stop reminders on this device</button>
          : (
            <button
              type="button"
              class="push-subscribe"
              disabled={status !== "off"}
              onClick={subscribe}
            >
              Get reminders on this device
            </button>
          )}
      </p>
      <h3>Your devices</h3>
      {devices.length === 0
        ? <p class="device-none">No device gets reminders yet. We send them by email.</p>
        : (
          <ul class="device-list">
            {devices.map((d) => (
              <li key={d.id} class={d.id === thisDevice ? "device-item device-this" : "device-item"}>
                <span class="device-label">
                  {d.label}
                  {d.id === thisDevice && " (this device)"}
                </span>{" "}
                <time datetime={d.createdAt}>since {d.createdAt.slice(0, 10)}</time>{" "}
                <button type="button" class="danger" onClick={() => removeDevice(d.id)}>Remove</button>
              </li>
            ))}
          </ul>
        )}
    </div>
  );
}
