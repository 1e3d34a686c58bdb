// Builds dist/ for the dashboard: waymark.css from src/waymark.scss (compressed, no source map),
// GOV.UK Frontend's ES module script, src/init.mjs that starts it, and Waymark's favicon.
// Run with `npm run build` from this folder.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, "src");
const dist = join(here, "dist");
const govuk = join(here, "node_modules", "govuk-frontend", "dist", "govuk");

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

const css = sass.compile(join(src, "waymark.scss"), {
  style: "compressed",
  sourceMap: false,
  importers: [new sass.NodePackageImporter()],
  // Deprecation notices from inside govuk-frontend are for its maintainers, not for us
  quietDeps: true,
}).css;
if (css.includes("GDS Transport")) throw new Error("waymark.css still names GDS Transport");
writeFileSync(join(dist, "waymark.css"), css + "\n");

// The map file is not shipped, so drop the comment that points browsers at it
const js = readFileSync(join(govuk, "govuk-frontend.min.js"), "utf8");
writeFileSync(join(dist, "govuk-frontend.min.js"), js.replace(/\n?\/\/# sourceMappingURL=\S+\s*$/, "\n"));

copyFileSync(join(src, "init.mjs"), join(dist, "init.mjs"));
copyFileSync(join(src, "live.mjs"), join(dist, "live.mjs"));
copyFileSync(join(src, "favicon.svg"), join(dist, "favicon.svg"));

for (const f of ["waymark.css", "govuk-frontend.min.js", "init.mjs", "live.mjs", "favicon.svg"]) {
  console.log(`dist/${f} ${statSync(join(dist, f)).size} bytes`);
}
