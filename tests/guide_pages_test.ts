// The user guide as /help pages, in-process through the real app: the index and every topic answer
// with the topic's h1, a table of contents and headings in order; every screenshot a page shows is
// served as an image (cached for a year under its hashed URL); unknown topics and images are 404;
// the site footer links to /help. In German, Spanish and Arabic every page answers in that language
// (its `lang`, `dir="rtl"` for Arabic, the translated h1, no "English only" note), each translation
// has English's pages, images and number of h2s (with English's anchors), and the loader refuses a
// missing or structurally different translation.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import { loadGuide } from "../lib/web/guide.ts";
import { LOCALES } from "../lib/i18n/locales.ts";
import { CATALOGS } from "../lib/i18n/translate.ts";

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

Deno.test("/help and every topic answer in German, Spanish and Arabic, with the translated page", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    for (const locale of LOCALES.filter((l) => l !== "en")) {
      const edition = guide.editions[locale];
      const headers = { "accept-language": locale };
      const dir = locale === "ar" ? "rtl" : "ltr";
      for (const page of [edition.index, ...edition.topics]) {
        const path = page.slug ? `/help/${page.slug}` : "/help";
        const res = await c.request(path, { headers });
        assert.equal(res.status, 200, `${locale} ${path}`);
        const html = await res.text();
        assert.match(html, new RegExp(`<html lang="${locale}" dir="${dir}"`), `${locale} ${path}: lang and dir`);
        assert.equal(page.locale, locale, `${locale} ${path}: a translation, not English's page`);
        const english = page.slug ? guide.bySlug.get(page.slug)! : guide.index;
        assert.notEqual(page.title, english.title, `${locale} ${path}: a translated h1`);
        assert.equal(h1Of(html), page.title, `${locale} ${path}: its h1`);
        const article = html.slice(html.indexOf('<article class="card guide"'), html.indexOf("</article>"));
        assert.doesNotMatch(article, /lang="en"/, `${locale} ${path}: nothing marked as English`);
        assert.ok(!html.includes(CATALOGS[locale]["help.inEnglish"]), `${locale} ${path}: no "English only" note`);
        const label = CATALOGS[locale]["help.onThisPage"];
        if (page.slug) assert.ok(html.includes(`<nav class="guide-toc" aria-label="${label}">`), `${locale} ${path}`);
        // English's anchors, so a link to a section works in every language.
        for (const h of english.toc) assert.match(html, new RegExp(`href="#${h.id}"[^]*<h2 id="${h.id}">`));
        for (const topic of edition.topics) assert.ok(html.includes(`>${topic.title}</a>`) || !page.slug);
      }
      const index = await (await c.request("/help", { headers })).text();
      for (const topic of edition.topics) assert.match(index, new RegExp(`href="/help/${topic.slug}"`));
    }
  } finally {
    t.close();
  }
});

Deno.test("every translation has English's pages, images and number of h2s", () => {
  for (const locale of LOCALES) {
    const edition = guide.editions[locale];
    assert.deepEqual(edition.topics.map((p) => p.slug), guide.topics.map((p) => p.slug), locale);
    for (
      const [page, english] of [[edition.index, guide.index], ...edition.topics.map((p, i) => [p, guide.topics[i]])]
    ) {
      const name = `${locale}/${english.slug || "README"}`;
      assert.equal(page.locale, locale, `${name} is translated`);
      assert.deepEqual(page.images, english.images, `${name}: the same images`);
      assert.equal(page.toc.length, english.toc.length, `${name}: the same number of h2s`);
    }
  }
});

Deno.test("the guide loader refuses a missing or structurally different translation, and serves English for it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "talkspace-guide-translations-" });
  try {
    const write = (name: string, text: string) => Deno.writeTextFile(`${dir}/${name}`, text);
    await Deno.mkdir(`${dir}/images`);
    await Deno.writeFile(`${dir}/images/shot.png`, new Uint8Array([0x89, 0x50, 0x4e, 0x47]));
    for (const l of LOCALES) if (l !== "en") await Deno.mkdir(`${dir}/${l}`);
    await write("README.md", "# Guide\n\n- [One](one.md)\n");
    await write("one.md", "# One\n\n## First\n\n![A screenshot of it all](images/shot.png)\n\n## Second\n");
    for (const l of ["de", "es", "ar"]) {
      await write(`${l}/README.md`, `# Guide ${l}\n\n- [Eins](one.md)\n`);
      await write(
        `${l}/one.md`,
        `# Eins ${l}\n\n## Erstens\n\n![Ein Bildschirmfoto davon](../images/shot.png)\n\n## Zweitens\n`,
      );
    }
    assert.equal(loadGuide(`${dir}/`).editions.ar.bySlug.get("one")!.toc[1].id, "second", "English's anchors");

    await write("es/one.md", "# Uno\n\n## Primero\n\n![Una captura de todo](images/shot.png)\n");
    await Deno.remove(`${dir}/de/one.md`);
    await write("ar/extra.md", "# إضافي\n");
    assert.throws(() => loadGuide(`${dir}/`), /de\/one\.md is missing/);
    const lenient = loadGuide(`${dir}/`, { strict: false });
    const found = lenient.problems.join("\n");
    for (
      const p of [
        /de\/one\.md is missing/,
        /es\/one\.md: .*images\/shot\.png is not in/,
        /es\/one\.md: .*1 h2s, English 2/,
        /ar\/extra\.md is not a page/,
      ]
    ) {
      assert.match(found, p);
    }
    const de = lenient.editions.de.bySlug.get("one")!;
    assert.equal(de.locale, "en", "a missing page is English's");
    assert.equal(de.title, "One");
  } finally {
    await Deno.remove(dir, { recursive: true });
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
