// Loaded by every page (deferred, with the CSP nonce): registers the service worker (/sw.js, scope /)
// and, when a new version takes over an open page, says so. It never reloads a page by itself; in
// the meeting app (html.is-app) it does not even offer to, as a reload would drop the call.
// Not an island: pages without islands stay free of the island runtime.
(() => {
  const sw = navigator.serviceWorker;
  if (!sw) return;
  // The first worker claiming this page is an install, not a new version.
  let controlled = Boolean(sw.controller);
  sw.addEventListener("controllerchange", () => {
    if (controlled) showNotice();
    controlled = true;
  });

  function showNotice() {
    if (document.querySelector(".update-notice")) return;
    const inApp = document.documentElement.classList.contains("is-app");
    const notice = document.createElement("div");
    notice.className = "update-notice";
    notice.setAttribute("role", "status");
    const text = document.createElement("span");
    text.textContent = inApp
      ? "A new version of Talkspace is available. Reload after the meeting to use it."
      : "A new version of Talkspace is available.";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = inApp ? "Dismiss" : "Reload";
    button.addEventListener("click", () => inApp ? notice.remove() : location.reload());
    notice.append(text, " ", button);
    document.body.append(notice);
  }

  function register() {
    sw.register("/sw.js", { scope: "/" }).then((reg) => {
      // A tab left open for days (a meeting, a dashboard) still learns of new versions.
      document.addEventListener("visibilitychange", () => {
        if (document.visibilityState === "visible") reg.update().catch(() => {});
      });
    }).catch((err) => console.warn("Talkspace: the service worker did not register:", err));
  }
  // After the page's own resources: the worker's install fetches the app shell.
  if (document.readyState === "complete") register();
  else addEventListener("load", register, { once: true });

  // The offline page tries again by itself once the connection is back.
  if (document.querySelector("[data-offline-retry]")) addEventListener("online", () => location.reload());
})();
