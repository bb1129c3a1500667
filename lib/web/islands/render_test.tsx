// Server side of the island layer: markers, props of only the rendered islands, Date tagging,
// refused props, script-tag safety, and no script at all for pages without islands.

import assert from "node:assert/strict";
import type { ComponentChildren } from "preact";
import { renderWithIslands } from "./render.ts";
import { defineIsland, registeredIslands, wrapIsland } from "./island.ts";
import { renderToString } from "preact-render-to-string";
import { IslandBuildMissing } from "./manifest.ts";
import type { IslandManifest } from "./manifest.ts";
import { reviveDates } from "./protocol.ts";
import type { IslandPayload } from "./protocol.ts";
import { IslandPropError } from "./serialize.ts";
import { CopyButton } from "../../../islands/mod.ts";
import { type CopyButtonProps, copyWords } from "../../../islands/CopyButton.tsx";
import { translator } from "../../i18n/translate.ts";

// Test islands are wrapped, not registered, so a build in the same process never sees them.
const Greeting = wrapIsland("Greeting", ({ name }: { name: string }) => <b class="greeting">Hello {name}</b>);
const Clock = wrapIsland(
  "Clock",
  (props: { at: Date; history: { when: Date; note: string }[] }) => (
    <time>{props.at.toISOString()} ({props.history.length})</time>
  ),
);
const Outer = wrapIsland("Outer", ({ label }: { label: string }) => (
  <div>
    <Greeting name={`inner ${label}`} />
  </div>
));
// deno-lint-ignore no-explicit-any -- deliberately passing props the types forbid
const Loose = wrapIsland("Loose", (_props: Record<string, any>) => <i>loose</i>);
// An island with a catalog: it renders with its messages; the page ships only its language.
const Spoken = wrapIsland(
  "Spoken",
  ({ i18n }: { i18n: { locale: string; messages: Record<string, string> } }) => <p>{i18n.messages["x.hi"]}</p>,
  { catalog: ["x."] },
);

const manifest: IslandManifest = {
  version: 1,
  runtime: "runtime-0123456789ab.js",
  islands: {
    Greeting: "Greeting-aaaaaaaaaaaa.js",
    Clock: "Clock-bbbbbbbbbbbb.js",
    Outer: "Outer-cccccccccccc.js",
    Loose: "Loose-dddddddddddd.js",
    CopyButton: "CopyButton-eeeeeeeeeeee.js",
    Spoken: "Spoken-ffffffffffff.js",
  },
  catalogs: { Spoken: { en: "Spoken-en-111111111111.js", de: "Spoken-de-222222222222.js" } },
  chunks: ["chunk-SHARED.js"],
  imports: { "runtime-0123456789ab.js": ["chunk-SHARED.js"], "Greeting-aaaaaaaaaaaa.js": ["chunk-SHARED.js"] },
};
const buildDir = await Deno.makeTempDir({ prefix: "talkspace-islands-test-" });
await Deno.writeTextFile(`${buildDir}/manifest.json`, JSON.stringify(manifest));
const missingDir = `${buildDir}/never-built`;

function page(children: ComponentChildren) {
  return (
    <html>
      <body>
        <main>{children}</main>
      </body>
    </html>
  );
}

/** The payload literal the boot script passes to boot(), parsed as JSON (it must be valid JSON). */
function payloadOf(script: string): IslandPayload {
  const m = /boot\(\{[^}]*\},(.*?)(?:,\{[A-Za-z0-9:,]*\})?\)<\/script>$/s.exec(script);
  assert.ok(m, `no boot() call in ${script}`);
  return JSON.parse(m[1]);
}

Deno.test("an island with a catalog ships its language only; the boot script preloads and imports that chunk", () => {
  const i18n = { locale: "de", messages: { "x.hi": "Hallo" } };
  const { html, script } = renderWithIslands(page(<Spoken i18n={i18n} />), { nonce: "n", buildDir });
  assert.ok(html.includes("<p>Hallo</p>"), "the server renders with the messages");
  assert.deepEqual(payloadOf(script).props, [{ i18n: { locale: "de" } }], "no messages in the page");
  assert.ok(!script.includes("Hallo"));
  assert.ok(script.includes('<link rel="modulepreload" href="/_islands/Spoken-de-222222222222.js" nonce="n">'));
  assert.ok(script.includes('import m0 from"/_islands/Spoken-de-222222222222.js";'));
  assert.match(script, /boot\(\{Spoken:i0\},.*,\{Spoken:m0\}\)<\/script>$/);
  // A language the build has no chunk for is a build to redo, said clearly.
  assert.throws(
    () => renderWithIslands(page(<Spoken i18n={{ locale: "fr", messages: {} }} />), { nonce: "n", buildDir }),
    IslandBuildMissing,
  );
});

Deno.test("a page without islands gets no script, even when the bundles were never built", () => {
  const { html, script } = renderWithIslands(page(<p>plain</p>), { nonce: "n0nce", buildDir: missingDir });
  assert.equal(script, "");
  assert.equal(html, "<html><body><main><p>plain</p></main></body></html>");
});

Deno.test("an island renders between markers and the boot script imports the runtime and that island", () => {
  const { html, script } = renderWithIslands(page(<Greeting name="Ada" />), { nonce: "n0nce", buildDir });
  assert.ok(
    html.includes('<!--ts-island:Greeting:0--><b class="greeting">Hello Ada</b><!--/ts-island:0-->'),
    html,
  );
  assert.match(script, /^<link rel="modulepreload" href="\/_islands\/chunk-SHARED.js" nonce="n0nce">/);
  assert.equal((script.match(/<script/g) ?? []).length, 1);
  assert.ok(script.includes('<script type="module" nonce="n0nce">'), script);
  assert.ok(script.includes('import{boot}from"/_islands/runtime-0123456789ab.js"'), script);
  assert.ok(script.includes('from"/_islands/Greeting-aaaaaaaaaaaa.js"'), script);
  assert.deepEqual(payloadOf(script), { props: [{ name: "Ada" }], dates: [] });
});

Deno.test("only islands that rendered are imported and have their props shipped", () => {
  function Page({ showClock }: { showClock: boolean }) {
    return page(
      <>
        <Greeting name="first" />
        {showClock && <Clock at={new Date(0)} history={[]} />}
        <Greeting name="second" />
      </>,
    );
  }
  const { html, script } = renderWithIslands(<Page showClock={false} />, { nonce: "n", buildDir });
  assert.ok(!script.includes("Clock"), script);
  assert.equal(script.split("Greeting-aaaaaaaaaaaa.js").length - 1, 1, "the island module is imported once");
  assert.deepEqual(payloadOf(script).props, [{ name: "first" }, { name: "second" }]);
  assert.ok(html.includes("<!--ts-island:Greeting:1-->"), html);

  const withClock = renderWithIslands(<Page showClock />, { nonce: "n", buildDir });
  assert.ok(withClock.script.includes("Clock-bbbbbbbbbbbb.js"), withClock.script);
  assert.equal(payloadOf(withClock.script).props.length, 3);
});

Deno.test("an island inside another island hydrates as part of the outer one", () => {
  const { html, script } = renderWithIslands(page(<Outer label="x" />), { nonce: "n", buildDir });
  assert.equal((html.match(/<!--ts-island:/g) ?? []).length, 1, html);
  assert.ok(html.includes("Hello inner x"), html);
  assert.ok(!script.includes("Greeting-"), script);
  assert.deepEqual(payloadOf(script).props, [{ label: "x" }]);
});

Deno.test("Dates survive the trip to the browser as Dates, also nested in arrays and objects", () => {
  const at = new Date("2030-05-06T07:08:09.123Z");
  const history = [{ when: new Date("2029-01-01T00:00:00Z"), note: "made" }, {
    when: new Date(86_400_000),
    note: "x",
  }];
  const { script } = renderWithIslands(page(<Clock at={at} history={history} />), { nonce: "n", buildDir });
  const payload = payloadOf(script);
  assert.equal(typeof (payload.props[0] as { at: unknown }).at, "string", "Dates travel as tagged ISO strings");
  reviveDates(payload);
  assert.deepEqual(payload.props[0], { at, history });
  const revived = payload.props[0] as { at: Date; history: { when: Date }[] };
  assert.ok(revived.at instanceof Date && revived.history[1].when instanceof Date);
  assert.equal(revived.history[1].when.getTime(), 86_400_000);
});

Deno.test("a string that looks like a date stays a string", () => {
  const { script } = renderWithIslands(page(<Greeting name="2030-05-06T07:08:09.123Z" />), { nonce: "n", buildDir });
  const payload = payloadOf(script);
  reviveDates(payload);
  assert.deepEqual(payload.props, [{ name: "2030-05-06T07:08:09.123Z" }]);
});

Deno.test("a function prop is refused at render time, naming the island and the prop", () => {
  const props = { text: "secret", onClick: () => {} } as unknown as CopyButtonProps;
  assert.throws(
    () => renderWithIslands(page(<CopyButton {...props} />), { nonce: "n", buildDir }),
    (err: unknown) => {
      assert.ok(err instanceof IslandPropError);
      assert.equal(
        err.message,
        'Island "CopyButton": prop "onClick" is a function; islands only take JSON values and Dates',
      );
      return true;
    },
  );
});

Deno.test("other values JSON would mangle are refused with their path", () => {
  class Meeting {
    id = "m1";
  }
  const cases: [Record<string, unknown>, string][] = [
    [{ items: [{ ok: 1 }, { cb: () => 1 }] }, 'prop "items[1].cb" is a function'],
    [{ byId: new Map() }, 'prop "byId" is a Map'],
    [{ meeting: new Meeting() }, 'prop "meeting" is a class instance (Meeting)'],
    [{ tag: Symbol("x") }, 'prop "tag" is a Symbol'],
    [{ count: NaN }, 'prop "count" is NaN'],
    [{ big: 1n }, 'prop "big" is a BigInt'],
    [{ list: [1, undefined] }, 'prop "list[1]" is undefined inside an array'],
    [{ when: new Date("nope") }, 'prop "when" is an invalid Date'],
    [{ "odd key": { child: <b /> } }, 'prop "["odd key"].child" is a JSX element'],
  ];
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  cases.push([{ tree: cyclic }, 'prop "tree.self" is a circular reference']);
  for (const [props, expected] of cases) {
    assert.throws(
      () => renderWithIslands(page(<Loose {...props} />), { nonce: "n", buildDir }),
      (err: unknown) => err instanceof IslandPropError && err.message.startsWith(`Island "Loose": ${expected}`),
      `expected: ${expected}`,
    );
  }
  // The same object twice (not a cycle) is fine, and undefined object keys are left out like JSON does.
  const shared = { n: 1 };
  const { script } = renderWithIslands(page(<Loose a={shared} b={shared} c={undefined} />), { nonce: "n", buildDir });
  assert.deepEqual(payloadOf(script).props, [{ a: { n: 1 }, b: { n: 1 } }]);
});

Deno.test("a failed render leaves nothing behind for the next one", () => {
  const bad = { text: "x", onCopy: () => {} } as unknown as CopyButtonProps;
  assert.throws(() =>
    renderWithIslands(
      page(
        <>
          <Greeting name="before" />
          <CopyButton {...bad} />
        </>,
      ),
      { nonce: "n", buildDir },
    )
  );
  const plain = renderWithIslands(page(<p>after</p>), { nonce: "n", buildDir });
  assert.equal(plain.script, "");
  const next = renderWithIslands(page(<Greeting name="next" />), { nonce: "n", buildDir });
  assert.deepEqual(payloadOf(next.script).props, [{ name: "next" }]);
  assert.ok(next.html.includes("<!--ts-island:Greeting:0-->"), next.html);
});

Deno.test("props are safe inside the script tag", () => {
  const nasty = "</script><script>alert(1)</script><!-- \u2028\u2029 & > '\" $& $' $`";
  const { script } = renderWithIslands(page(<Greeting name={nasty} />), { nonce: "n", buildDir });
  const body = script.slice(script.indexOf("<script"));
  assert.equal(body.indexOf("</script"), body.length - "</script>".length, "only the real closing tag");
  assert.equal(body.split("<script").length, 2, "no second script start");
  assert.ok(!body.includes("<!--"), body);
  assert.ok(!/[\u2028\u2029]/.test(body), "no raw line separators");
  assert.ok(!body.includes("$"), "no $ for String.prototype.replace to expand");
  const spliced = "<body></body>".replace("</body>", `${script}</body>`);
  assert.deepEqual(payloadOf(spliced.slice(6, -7)).props, [{ name: nasty }]);
  assert.deepEqual(payloadOf(script).props, [{ name: nasty }]);
});

Deno.test("the nonce is escaped into its attribute", () => {
  const { script } = renderWithIslands(page(<Greeting name="x" />), { nonce: 'a"b<', buildDir });
  assert.ok(script.includes('nonce="a&quot;b&lt;"'), script);
});

Deno.test("an island page without a build fails with an error that says how to build", () => {
  assert.throws(
    () => renderWithIslands(page(<Greeting name="x" />), { nonce: "n", buildDir: missingDir }),
    (err: unknown) =>
      err instanceof IslandBuildMissing && /island bundles are missing: run `deno task build`/.test(err.message),
  );
});

Deno.test("an island missing from the manifest is named", () => {
  const Unbuilt = wrapIsland("Unbuilt", () => <span />);
  assert.throws(
    () => renderWithIslands(page(<Unbuilt />), { nonce: "n", buildDir }),
    /island "Unbuilt" is not in the bundle manifest/,
  );
});

Deno.test("an island rendered without renderWithIslands refuses instead of shipping dead HTML", () => {
  assert.throws(
    () => renderToString(<Greeting name="x" />),
    /Island "Greeting" was rendered outside renderWithIslands/,
  );
});

Deno.test("island names are checked and a name cannot point at two modules", () => {
  const component = () => <span />;
  assert.throws(() => defineIsland("lower", new URL("file:///a.tsx"), component), /must be PascalCase/);
  // islands/mod.ts registered CopyButton already; neither call registers anything (both throw first).
  assert.throws(() => defineIsland("CopyButton", new URL("file:///b.tsx"), component), /defined twice/);
  assert.deepEqual(registeredIslands().map((i) => i.name), [
    "CopyButton",
    "MeetingRoom",
    "PushSettings",
    "RecordingProgress",
  ]);
});

Deno.test("CopyButton server HTML is a disabled button with its label (enabled once hydrated)", () => {
  const { html } = renderWithIslands(
    page(<CopyButton text="tok_123" label="Copy token" words={copyWords(translator("en"))} />),
    { nonce: "n", buildDir },
  );
  assert.ok(
    html.includes('<button type="button" class="copy-button-action" disabled>Copy token</button>'),
    html,
  );
  assert.ok(!html.includes("tok_123"), "the value is only in the props, not shown by the button");
});

Deno.test("cleanup: remove the temporary build directory", async () => {
  await Deno.remove(buildDir, { recursive: true });
});
