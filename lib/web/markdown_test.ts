import assert from "node:assert/strict";
import { escapeHtml, isAllowedHref, plainText, renderInline, renderMarkdown, slugify } from "./markdown.ts";

Deno.test("markdown: headings get ids (unique), paragraphs join their lines", () => {
  const r = renderMarkdown("# Joining a meeting\n\nOne line\nand the next.\n\n## By link\n\n## By link\n");
  assert.equal(
    r.html,
    '<h1 id="joining-a-meeting">Joining a meeting</h1>\n<p>One line and the next.</p>\n' +
      '<h2 id="by-link">By link</h2>\n<h2 id="by-link-2">By link</h2>',
  );
  assert.deepEqual(r.headings.map((h) => [h.level, h.id]), [[1, "joining-a-meeting"], [2, "by-link"], [
    2,
    "by-link-2",
  ]]);
});

Deno.test("markdown: lists, continuation lines, tables, fenced code", () => {
  const r = renderMarkdown(
    "- one\n  still one\n- **two**\n\n1. first\n2. second\n\n| Key | Does |\n| --- | --- |\n| `M` | Mute \\| unmute |\n\n```\n<b>&\n```",
  );
  assert.equal(
    r.html,
    "<ul><li>one still one</li><li><strong>two</strong></li></ul>\n<ol><li>first</li><li>second</li></ol>\n" +
      '<table><thead><tr><th scope="col">Key</th><th scope="col">Does</th></tr></thead>' +
      "<tbody><tr><td><code>M</code></td><td>Mute | unmute</td></tr></tbody></table>\n" +
      "<pre><code>&lt;b&gt;&amp;</code></pre>",
  );
});

Deno.test("markdown: inline marks, links and images", () => {
  assert.equal(
    renderInline("*a* and _b_ and **c** and `d*e*`"),
    "<em>a</em> and <em>b</em> and <strong>c</strong> and <code>d*e*</code>",
  );
  assert.equal(renderInline("snake_case_name stays"), "snake_case_name stays");
  assert.equal(renderInline("2 * 3 * 4"), "2 * 3 * 4");
  assert.equal(renderInline("\\*not em\\*"), "*not em*");
  assert.equal(renderInline("[Hosting](hosting.md#lobby)"), '<a href="hosting.md#lobby">Hosting</a>');
  assert.equal(
    renderInline("[site](https://example.org/a?b=1&c=2)"),
    '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer">site</a>',
  );
  const r = renderMarkdown("![The pre-join screen](images/prejoin.png)", {
    rewrite: (href, kind) => kind === "image" ? `/help/${href}` : href,
  });
  assert.equal(r.html, '<p><img src="/help/images/prejoin.png" alt="The pre-join screen" loading="lazy"></p>');
  assert.deepEqual(r.images, [{ src: "images/prejoin.png", alt: "The pre-join screen" }]);
});

Deno.test("markdown: hostile input is text, and only relative and https links are links", () => {
  const r = renderMarkdown(
    [
      '<script>alert(1)</script> <img src=x onerror="alert(1)">',
      "[click](javascript:alert(1)) [x](JaVaScRiPt:alert(1)) [d](data:text/html,<b>) [h](http://plain.example)",
      "[v](vbscript:msgbox) [p](//evil.example/x) [t](java\tscript:alert(1)) [b](https:\\\\evil.example)",
      '![x" onerror="alert(1)](images/a.png) ![js](javascript:alert(1))',
      '[ok"><script>](relative.md)',
      "# <b>heading</b> & more",
      "| <i>cell</i> | b |\n| --- | --- |\n| <svg onload=alert(1)> | [j](javascript:x) |",
    ].join("\n\n"),
  );
  assert.doesNotMatch(r.html, /<script|<img src=x|<svg|<i>|<b>|href="(javascript|data|http:|vbscript|\/\/)/i);
  // Every tag in the output is one the renderer writes, with only its own attributes.
  const tags = [...r.html.matchAll(/<\/?([a-z0-9]+)([^>]*)>/g)];
  for (const [tag, name, attrs] of tags) {
    assert.ok(["p", "a", "img", "h1", "table", "thead", "tbody", "tr", "th", "td"].includes(name), tag);
    assert.match(attrs, /^(\s(href|src|alt|id|rel|loading|scope)="[^"<>]*")*$/, tag);
  }
  assert.match(r.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(r.html, /<p>click x d h<\/p>/, "refused links keep their text");
  assert.match(r.html, /alt="x&quot; onerror=&quot;alert\(1\)"/);
  assert.match(r.html, /<a href="relative.md">ok&quot;&gt;&lt;script&gt;<\/a>/);
  assert.match(r.html, /<h1 id="b-heading-b-more">&lt;b&gt;heading&lt;\/b&gt; &amp; more<\/h1>/);
  assert.deepEqual(r.images.map((i) => i.src), ["images/a.png"], "a refused image is neither shown nor listed");
});

Deno.test("markdown: what counts as an allowed link target", () => {
  for (const ok of ["joining.md", "hosting.md#lobby", "/help", "#top", "?q=1", "images/a.png", "https://x.org/"]) {
    assert.equal(isAllowedHref(ok), true, ok);
  }
  for (
    const bad of [
      "",
      "javascript:alert(1)",
      " https://x.org",
      "http://x.org",
      "https:x.org",
      "//x.org",
      "mailto:a@b.c",
      "data:,x",
      "a\\b",
      "java\nscript:x",
      "file:///etc/passwd",
    ]
  ) {
    assert.equal(isAllowedHref(bad), false, JSON.stringify(bad));
  }
});

Deno.test("markdown: unclosed markup and huge input stay linear text", () => {
  assert.equal(renderInline("[never closed](and **open"), "[never closed](and **open");
  assert.equal(renderInline("`open code"), "`open code");
  const big = "[".repeat(20_000) + "*".repeat(20_000);
  const t = performance.now();
  const html = renderMarkdown(big).html;
  assert.ok(html.startsWith("<p>[[["));
  assert.ok(performance.now() - t < 5_000, "no catastrophic backtracking");
});

Deno.test("markdown helpers: escaping, slugs, plain text", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(slugify("Dial in by phone & SIP"), "dial-in-by-phone-sip");
  assert.equal(slugify("???"), "section");
  assert.equal(plainText("**Join now** and `M` and [link](x.md)"), "Join now and M and link");
});
