// The page shown for HTML requests that fail.

export function ErrorPage(
  { status, message, fields }: { status: number; message: string; fields?: Record<string, string> },
) {
  return (
    <section class="card narrow">
      <h1>{status === 404 ? "Page not found" : status === 429 ? "Too many attempts" : "Something went wrong"}</h1>
      <p>{message}</p>
      {fields && (
        <ul class="errors">
          {Object.entries(fields).map(([k, v]) => <li key={k}>{k}: {v}</li>)}
        </ul>
      )}
      <p>
        <a href="/">Back to the start page</a>
      </p>
    </section>
  );
}
