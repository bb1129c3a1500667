// Tells shared island code whether it runs in the browser (hydrated) or on the server (rendering HTML).

/** True in the browser, false while the server renders. Guard browser-only APIs (clipboard, window) with it. */
export const IS_BROWSER: boolean = typeof document !== "undefined";
