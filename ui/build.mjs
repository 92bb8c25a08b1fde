// Bundles the UI into ../airunway_backend/static (served by the backend; nothing is loaded from a CDN).
import { build, context } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "airunway_backend", "static");
const watch = process.argv.includes("--watch");

/** @type {import("esbuild").BuildOptions} */
const options = {
  entryPoints: { app: join(here, "src", "main.tsx") },
  outdir: join(outdir, "assets"),
  bundle: true,
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  target: ["es2022"],
  jsx: "automatic",
  legalComments: "none",
  define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
  logLevel: "info",
};

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
await copyFile(join(here, "index.html"), join(outdir, "index.html"));
if (watch) {
  await (await context(options)).watch();
} else {
  await build(options);
}
