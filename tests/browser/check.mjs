// Checks dashboard pages in a real browser, for the end-to-end tests:
//
//   node tests/browser/check.mjs plan.json
//
// plan.json: {"screenshots": "/abs/dir", "pages": [{"name", "url", "expect": [text...],
// "expect_selectors": [css...]}]}. Each page is loaded in headless Chromium (Debian's, or the one
// $CHROMIUM names) and must answer with a status below 400, show every expected text, match
// every selector, have no id twice, and have no serious or critical axe-core violation of
// WCAG 2.2 A/AA; it is loaded again with JavaScript off and must still show every expected
// text. A full-page
// screenshot goes to <screenshots>/<name>.png. Prints one JSON report on stdout and exits 0 when
// every page passed, 1 otherwise; a page that could not be checked has an "error" field.
//
// playwright-core and axe-core come from services/dashboard/assets/node_modules (installed by
// scripts/ensure-assets), so the tests need no npm install of their own.
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { launch, require } from "./chromium.mjs";
const axeScript = join(dirname(require.resolve("axe-core/package.json")), "axe.min.js");

const AXE_OPTIONS = {
  runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
};

if (process.argv.length !== 3) {
  console.error("usage: node tests/browser/check.mjs plan.json");
  process.exit(1);
}
const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
mkdirSync(plan.screenshots, { recursive: true });

const browser = await launch();

// bypassCSP lets axe be injected into pages whose Content-Security-Policy forbids inline scripts
const withJs = await browser.newContext({ viewport: { width: 1024, height: 768 }, bypassCSP: true });
const withoutJs = await browser.newContext({ viewport: { width: 1024, height: 768 }, javaScriptEnabled: false });

const missingText = (text, expected) => (expected || []).filter((t) => !text.includes(t));

async function checkPage(spec) {
  // Until a check has run, everything it looks for counts as missing
  const report = {
    name: spec.name,
    url: spec.url,
    status: 0,
    missing_text: [...(spec.expect || [])],
    missing_selectors: [...(spec.expect_selectors || [])],
    violations: [],
    duplicate_ids: [],
    screenshot: null,
    no_js_missing_text: [...(spec.expect || [])],
  };
  try {
    const page = await withJs.newPage();
    const response = await page.goto(spec.url, { waitUntil: "load" });
    report.status = response ? response.status() : 0;
    report.missing_text = missingText(await page.evaluate(() => document.body.innerText), spec.expect);
    report.missing_selectors = [];
    for (const selector of spec.expect_selectors || []) {
      const found = await page.evaluate((s) => {
        try {
          return document.querySelectorAll(s).length > 0;
        } catch {
          return false; // not a valid selector: report it as missing
        }
      }, selector);
      if (!found) report.missing_selectors.push(selector);
    }
    // Ids must be unique (axe no longer reports this under WCAG 2.2, but labels and links rely on it)
    report.duplicate_ids = await page.evaluate(() => {
      const seen = new Map();
      for (const el of document.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) || 0) + 1);
      return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
    });
    await page.addScriptTag({ path: axeScript });
    const violations = await page.evaluate((options) => window.axe.run(document, options).then((r) => r.violations), AXE_OPTIONS);
    report.violations = violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
      }));
    const screenshot = join(plan.screenshots, `${spec.name}.png`);
    await page.screenshot({ path: screenshot, fullPage: true });
    report.screenshot = screenshot;
    await page.close();

    const plain = await withoutJs.newPage();
    await plain.goto(spec.url, { waitUntil: "load" });
    report.no_js_missing_text = missingText(await plain.locator("body").innerText(), spec.expect);
    await plain.close();
  } catch (e) {
    report.error = e.message.split("\n")[0];
  }
  return report;
}

const pages = [];
for (const spec of plan.pages) pages.push(await checkPage(spec));
await browser.close();

const passed = (p) =>
  !p.error &&
  p.status > 0 &&
  p.status < 400 &&
  p.missing_text.length === 0 &&
  p.missing_selectors.length === 0 &&
  p.violations.length === 0 &&
  p.duplicate_ids.length === 0 &&
  p.no_js_missing_text.length === 0;
const ok = pages.every(passed);
console.log(JSON.stringify({ pages, ok }, null, 2));
process.exit(ok ? 0 : 1);
