// npm run bench [-- runs]: generates the URL shortener non-interactively (no tidy, no git) many
// times with the built CLI and prints the median wall time and peak memory of the whole process.
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import fs from "fs-extra";

import { packageRoot } from "../src/core/packageInfo.js";

const runs = Number(process.argv[2] ?? 20);
const cli = path.join(packageRoot, "dist/src/cli/index.js");
const preload = path.join(packageRoot, "dist/scripts/reportPeakMemory.js");
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-bench-"));
const times: number[] = [];
const memory: number[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const begun = performance.now();
    const result = await execa(
      "node",
      ["--import", preload, cli, `app${i}`, "--project", "url-shortener", "--yes", "--no-tidy", "--no-git"],
      { cwd: root },
    );
    times.push(performance.now() - begun);
    memory.push(Number(/peak-rss-kib (\d+)/.exec(result.stderr)?.[1]));
  }
  const startup: number[] = [];
  for (let i = 0; i < runs; i++) {
    const begun = performance.now();
    await execa("node", [cli, "--list"]);
    startup.push(performance.now() - begun);
  }
  console.log(`url-shortener, ${runs} runs on node ${process.version}, ${os.cpus().length} cores`);
  console.log(`  generate: median ${median(times).toFixed(0)} ms wall, median peak RSS ${(median(memory) / 1024).toFixed(1)} MiB`);
  console.log(`  --list (start-up): median ${median(startup).toFixed(0)} ms wall`);
} finally {
  await fs.remove(root);
}
