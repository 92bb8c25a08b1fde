// Unit tests of the UI's pure logic: esbuild compiles test/*.test.ts, node's own test runner runs them.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "node_modules", ".cache", "ui-tests");
const tests = (await readdir(join(here, "test"))).filter((f) => f.endsWith(".test.ts"));

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: tests.map((f) => join(here, "test", f)),
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  format: "esm",
  platform: "node",
  target: ["node20"],
  logLevel: "warning",
});
const files = tests.map((f) => join(outdir, f.replace(/\.ts$/, ".mjs")));
const result = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
process.exit(result.status ?? 1);
