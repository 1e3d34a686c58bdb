// Watches one dashboard page in a real browser until a text appears without a reload, for the
// live-page test:
//
//   node tests/browser/live.mjs <url> <text> [seconds]
//
// Loads <url> in headless Chromium (Debian's, or the one $CHROMIUM names), prints "ready" once
// the page has loaded and opened its live stream, then waits (10 seconds by default) for <text>
// to appear in the page. Exits 0 when it appeared without the page being reloaded, 1 otherwise.
import { launch } from "./chromium.mjs";

const [url, text, seconds = "10"] = process.argv.slice(2);
if (!url || !text) {
  console.error("usage: node tests/browser/live.mjs <url> <text> [seconds]");
  process.exit(1);
}
const browser = await launch();
let ok = false;
try {
  const page = await browser.newPage();
  let loads = 0;
  page.on("load", () => (loads += 1));
  const opened = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith("/live"), { timeout: 10_000 });
  await page.goto(url, { waitUntil: "load" });
  await opened;
  if (await page.evaluate((t) => document.body.innerText.includes(t), text)) {
    console.error(`"${text}" was already on the page`);
  } else {
    console.log("ready");
    await page.waitForFunction((t) => document.body.innerText.includes(t), text, {
      timeout: Number(seconds) * 1000,
    });
    ok = loads === 1;
    if (!ok) console.error("the page was reloaded");
  }
} catch (e) {
  console.error(e.message.split("\n")[0]);
} finally {
  await browser.close();
}
process.exit(ok ? 0 : 1);
