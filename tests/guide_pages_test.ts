// The user guide as /help pages, in-process through the real app: the index and every topic answer
// with the topic's h1, a table of contents and headings in order; every screenshot a page shows is
// served as an image (cached for a year under its hashed URL); unknown topics and images are 404;
// the site footer links to /help.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import { loadGuide } from "../lib/web/guide.ts";

const guide = loadGuide();

function h1Of(html: string): string {
  const m = html.match(/<h1[^>]*>(.*?)<\/h1>/s);
  return (m?.[1] ?? "").replace(/<[^>]+>/g, "").replaceAll("&amp;", "&");
}

function headingLevels(html: string): number[] {
  const main = html.slice(html.indexOf("<main"), html.indexOf("</main>"));
  return [...main.matchAll(/<h([1-6])[\s>]/g)].map((m) => Number(m[1]));
}

Deno.test("/help lists every topic, and each topic page answers with its h1, contents and images", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    const index = await c.request("/help");
    assert.equal(index.status, 200);
    const indexHtml = await index.text();
    assert.equal(h1Of(indexHtml), "Talkspace user guide");
    assert.ok(guide.topics.length >= 6, "join, meeting, host, schedule, phones, admin");
    for (const topic of guide.topics) assert.match(indexHtml, new RegExp(`href="/help/${topic.slug}"`));

    const imageUrls = new Set<string>();
    for (const topic of guide.topics) {
      const res = await c.request(`/help/${topic.slug}`);
      assert.equal(res.status, 200, topic.slug);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      const html = await res.text();
      assert.equal(h1Of(html), topic.title, `${topic.slug}: its h1`);
      const levels = headingLevels(html);
      assert.equal(levels.filter((l) => l === 1).length, 1, `${topic.slug}: one h1`);
      levels.forEach((l, i) => assert.ok(i === 0 || l <= levels[i - 1] + 1, `${topic.slug}: headings in order`));
      assert.match(html, /<nav class="guide-toc" aria-label="On this page">/, `${topic.slug}: a table of contents`);
      for (const h of topic.toc) assert.match(html, new RegExp(`href="#${h.id}"[^]*<h2 id="${h.id}"`));
      for (const img of html.matchAll(/<img ([^>]*)>/g)) {
        const alt = img[1].match(/alt="([^"]*)"/)?.[1] ?? "";
        assert.ok(alt.length >= 10, `${topic.slug}: alt text on ${img[1]}`);
        imageUrls.add(img[1].match(/src="([^"]*)"/)![1].replaceAll("&amp;", "&"));
      }
      assert.match(html, /<footer class="site-footer">[^]*<a href="\/help"[^>]*>Help<\/a>/, "the footer links to help");
    }
    assert.equal(imageUrls.size, guide.images.size, "every image is shown somewhere");

    for (const url of imageUrls) {
      const res = await c.request(url);
      assert.equal(res.status, 200, url);
      assert.equal(res.headers.get("content-type"), "image/png", url);
      assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable", url);
      const bytes = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual([...bytes.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${url} is a PNG`);
      // Without the current hash the same image is only cached briefly.
      const plain = await c.request(url.replace(/\?.*$/, ""));
      assert.equal(plain.headers.get("cache-control"), "public, max-age=3600");
      await plain.body?.cancel();
      const etag = plain.headers.get("etag")!;
      const again = await c.request(url, { headers: { "if-none-match": etag } });
      assert.equal(again.status, 304);
    }
  } finally {
    t.close();
  }
});

Deno.test("/help: unknown topics and images are 404, and request text never reaches the page", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    for (
      const path of [
        "/help/nope",
        "/help/README",
        "/help/%3Cscript%3E",
        "/help/images/nope.png",
        "/help/images/..%2F..%2Fdeno.json",
        "/help/images/prejoin.PNG",
      ]
    ) {
      const res = await c.request(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /<script>/, path);
    }
  } finally {
    t.close();
  }
});

Deno.test("the guide loader refuses pages that break its rules", async () => {
  const dir = await Deno.makeTempDir({ prefix: "talkspace-guide-rules-" });
  try {
    await Deno.mkdir(`${dir}/images`);
    const write = (name: string, text: string) => Deno.writeTextFile(`${dir}/${name}`, text);
    await write("README.md", "# Guide\n\n- [One](one.md)\n");
    await write("one.md", "# One\n\n### Skipped a level\n\n![](images/x.png)\n\n[away](../api.md)\n");
    assert.throws(() => loadGuide(`${dir}/`), /skips a level/);
    const lenient = loadGuide(`${dir}/`, { strict: false });
    const found = lenient.problems.join("\n");
    for (const p of [/skips a level/, /x\.png is not in/, /needs real alt text/, /\.\.\/api\.md is neither/]) {
      assert.match(found, p);
    }
    await write("two.md", "# Two\n");
    assert.throws(() => loadGuide(`${dir}/`), /does not link two\.md/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
