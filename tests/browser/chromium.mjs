// What both browser scripts share: the packages from the dashboard's assets folder (installed by
// scripts/ensure-assets, so the tests need no npm install of their own) and a headless Chromium
// (Debian's, or the one $CHROMIUM names) started with no reach for the internet.
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const assets = fileURLToPath(new URL("../../services/dashboard/assets/", import.meta.url));
export const require = createRequire(join(assets, "package.json"));
const { chromium } = require("playwright-core");

// Exits with a clear message when Chromium cannot start.
export async function launch() {
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  try {
    return await chromium.launch({
      executablePath,
      headless: true,
      // No internet here: keep Chromium from trying to reach it
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  } catch (e) {
    console.error(`cannot start Chromium at ${executablePath} (set CHROMIUM to its path, or run`);
    console.error(`scripts/ensure-chromium): ${e.message.split("\n")[0]}`);
    process.exit(1);
  }
}
