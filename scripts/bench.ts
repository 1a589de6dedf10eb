// npm run bench [-- runs]: the published package against create-vite, in one run, interleaved.
// Both are installed from their tarballs (ours from `npm pack`, which builds it; create-vite's
// from the registry), then, run after run and in turn: one generation each (ours: the URL
// shortener with --yes --no-git --no-tidy; create-vite: react-ts), `--list` and `--help` against
// `node -e 0`, and (fewer runs) the install of each tarball into an empty directory with an empty
// npm cache. Prints medians (wall, and CPU of the process) with their ratios and the targets, and
// draws them in docs/bench.svg.
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import fs from "fs-extra";
import { glob } from "tinyglobby";

import { packageRoot } from "../src/core/packageInfo.js";
import { median } from "./lib/benchRun.js";

const runs = Number(process.argv[2] ?? 20);
const installRuns = Math.max(3, Math.round(runs / 4));
const createVite = "create-vite@9.3.0";
const chartFile = path.join(packageRoot, "docs", "bench.svg");

interface Sample {
  wall: number;
  cpu: number;
}


const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-bench-"));
// Reports the CPU time of the node process it is preloaded into, user and system, when it exits.
const cpuReporter = path.join(root, "report-cpu.cjs");
await fs.writeFile(cpuReporter, `process.on("exit", () => { const { user, system } = process.cpuUsage(); process.stderr.write("\\ncpu-us " + (user + system) + "\\n"); });\n`);

/** Runs command in cwd; returns its wall time (spawn to exit) and, for node, its CPU time, in ms. */
function measure(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const begun = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      const wall = performance.now() - begun;
      if (code !== 0) return reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr}`));
      resolve({ wall, cpu: Number(/cpu-us (\d+)/.exec(stderr)?.[1] ?? NaN) / 1000 });
    });
  });
}
const node = (args: string[], cwd: string, env?: NodeJS.ProcessEnv) => measure(process.execPath, ["--require", cpuReporter, ...args], cwd, env);

/**
 * The CLI keeps V8's compiled code between runs (src/cli/compileCache.ts, in the temp directory),
 * so the medians are of runs after the first. A first run is measured too, each with a temp
 * directory of its own, so with an empty cache that it then fills.
 */
const firstRun = async (args: string[], cwd: string): Promise<Sample> => {
  const tmp = await fs.mkdtemp(path.join(root, "tmp-"));
  const sample = await node(args, cwd, { ...process.env, TMPDIR: tmp });
  await fs.remove(tmp);
  return sample;
};

async function install(tarball: string, into: string): Promise<Sample> {
  await fs.ensureDir(into);
  await fs.writeJson(path.join(into, "package.json"), { name: "bench", private: true });
  const cache = await fs.mkdtemp(path.join(root, "npm-cache-"));
  const sample = await measure("npm", ["install", "--cache", cache, "--prefer-online", "--no-audit", "--no-fund", "--loglevel=error", tarball], into);
  await fs.remove(cache);
  return sample;
}

try {
  const tarballs = path.join(root, "tarballs");
  await fs.ensureDir(tarballs);
  await execa("npm", ["pack", "--pack-destination", tarballs], { cwd: packageRoot, stdin: "ignore", stdout: "ignore", env: { npm_config_loglevel: "error" } });
  await execa("npm", ["pack", createVite, "--pack-destination", tarballs], { stdin: "ignore", stdout: "ignore", env: { npm_config_loglevel: "error" } });
  const [ours, theirs] = ["create-gopher-project-", "create-vite-"].map((prefix) => path.join(tarballs, fs.readdirSync(tarballs).find((f) => f.startsWith(prefix))!));
  await install(ours!, path.join(root, "ours"));
  await install(theirs!, path.join(root, "theirs"));
  const ourPackage = path.join(root, "ours", "node_modules", "create-gopher-project");
  const ourCli = path.join(ourPackage, (await fs.readJson(path.join(ourPackage, "package.json"))).bin["create-gopher-project"]);
  const theirCli = path.join(root, "theirs", "node_modules", "create-vite", "index.js");
  const ourFiles = await glob("**/*", { cwd: ourPackage, dot: true });
  const unpacked = (await Promise.all(ourFiles.map((file) => fs.stat(path.join(ourPackage, file))))).reduce((sum, stat) => sum + stat.size, 0);

  const samples: Record<string, Sample[]> = {};
  const add = (name: string, sample: Sample) => (samples[name] ??= []).push(sample);
  const written: Record<string, number> = {};
  const generation = [ourCli, "app", "--project", "url-shortener", "--yes", "--no-git", "--no-tidy"];
  // Fills the compile cache, so that every run below finds it.
  const warmUp = await fs.mkdtemp(path.join(root, "warm-up-"));
  await node(generation, warmUp);
  await node([ourCli, "--help"], warmUp);
  for (let i = 0; i < runs; i++) {
    const dir = await fs.mkdtemp(path.join(root, "run-"));
    await fs.ensureDir(path.join(dir, "first"));
    // The last run's trees were removed: their deletions reach the disk before anything is timed,
    // and which scaffolder goes first alternates, so neither meets the other's writes.
    await execa("sync");
    const generations = [
      async () => add("ours:generate", await node(generation, dir)),
      async () => add("vite:generate", await node([theirCli, "app-vite", "--template", "react-ts", "--no-interactive"], dir)),
    ];
    for (const generate of i % 2 === 0 ? generations : generations.reverse()) await generate();
    written.ours = (await glob("**/*", { cwd: path.join(dir, "app"), dot: true })).length;
    written.vite = (await glob("**/*", { cwd: path.join(dir, "app-vite"), dot: true })).length;
    add("node:e0", await node(["-e", "0"], dir));
    add("ours:list", await node([ourCli, "--list"], dir));
    add("ours:help", await node([ourCli, "--help"], dir));
    await execa("sync");
    add("ours:generate:first", await firstRun(generation, path.join(dir, "first")));
    add("ours:help:first", await firstRun([ourCli, "--help"], dir));
    await fs.remove(dir);
  }
  for (let i = 0; i < installRuns; i++) {
    add("ours:install", await install(ours!, path.join(root, `install-ours-${i}`)));
    add("vite:install", await install(theirs!, path.join(root, `install-vite-${i}`)));
  }

  const m = (name: string, field: keyof Sample) => median(samples[name]!.map((sample) => sample[field]));
  const rows: Row[] = [
    { label: "generate, wall", ours: m("ours:generate", "wall"), base: m("vite:generate", "wall"), baseName: "create-vite react-ts", target: 1.5 },
    { label: "generate, CPU", ours: m("ours:generate", "cpu"), base: m("vite:generate", "cpu"), baseName: "create-vite react-ts", target: 1.5 },
    { label: "--list, wall", ours: m("ours:list", "wall"), base: m("node:e0", "wall"), baseName: "node -e 0", target: 1.3 },
    { label: "--help, wall", ours: m("ours:help", "wall"), base: m("node:e0", "wall"), baseName: "node -e 0", target: 1.3 },
    { label: "generate, first run", ours: m("ours:generate:first", "wall"), base: m("vite:generate", "wall"), baseName: "create-vite react-ts", target: 1.5 },
    { label: "--help, first run", ours: m("ours:help:first", "wall"), base: m("node:e0", "wall"), baseName: "node -e 0", target: 1.3 },
    { label: "install, cold cache", ours: m("ours:install", "wall"), base: m("vite:install", "wall"), baseName: "create-vite", target: 1.5 },
  ];
  const title = `node ${process.version}, ${os.cpus().length} cores, ${runs} runs (installs: ${installRuns}), medians`;
  console.log(`create-gopher-project vs ${createVite}: ${title}`);
  console.log(`  files written: ${written.ours} (url-shortener) vs ${written.vite} (react-ts); package unpacked: ${(unpacked / 1048576).toFixed(2)} MiB (target 2 MiB)`);
  for (const row of rows) {
    const ratio = row.ours / row.base;
    const verdict = ratio <= row.target ? "within" : "OVER";
    console.log(`  ${row.label.padEnd(20)} ${row.ours.toFixed(0).padStart(5)} ms vs ${row.base.toFixed(0).padStart(5)} ms (${row.baseName}): ${ratio.toFixed(2)}x, ${verdict} target ${row.target}x`);
  }
  const first = (name: string, base: string, field: keyof Sample) => `${m(name, field).toFixed(0).padStart(5)} ms (${(m(name, field) / m(base, field)).toFixed(2)}x)`;
  console.log(`  first run (empty compile cache): generate wall ${first("ours:generate:first", "vite:generate", "wall")}, CPU ${first("ours:generate:first", "vite:generate", "cpu")}; --help wall ${first("ours:help:first", "node:e0", "wall")}`);
  console.log(`  --list, CPU          ${m("ours:list", "cpu").toFixed(0).padStart(5)} ms vs ${m("node:e0", "cpu").toFixed(0).padStart(5)} ms (node -e 0): ${(m("ours:list", "cpu") / m("node:e0", "cpu")).toFixed(2)}x`);
  await fs.outputFile(chartFile, chart(rows, title));
  console.log(`  chart: ${path.relative(packageRoot, chartFile)}`);
} finally {
  await fs.remove(root);
}

interface Row {
  label: string;
  ours: number;
  base: number;
  baseName: string;
  target: number;
}

/** A bar chart of the rows: each pair of bars on its own scale, labelled with the figures. */
function chart(rows: Row[], title: string): string {
  const width = 720;
  const labelWidth = 170;
  const barMax = width - labelWidth - 190;
  const rowHeight = 62;
  const height = 70 + rows.length * rowHeight + 40;
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const bars = rows.map((row, i) => {
    const y = 64 + i * rowHeight;
    const scale = barMax / Math.max(row.ours, row.base);
    const ratio = row.ours / row.base;
    return [
      `<text x="${labelWidth - 10}" y="${y + 22}" text-anchor="end" font-weight="bold">${escape(row.label)}</text>`,
      `<text x="${labelWidth - 10}" y="${y + 38}" text-anchor="end" fill="#555">${ratio.toFixed(2)}× (target ≤ ${row.target}×)</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${(row.ours * scale).toFixed(1)}" height="20" fill="${ratio <= row.target ? "#00add8" : "#d9534f"}"/>`,
      `<text x="${(labelWidth + row.ours * scale + 6).toFixed(1)}" y="${y + 15}">${row.ours.toFixed(0)} ms create-gopher-project</text>`,
      `<rect x="${labelWidth}" y="${y + 24}" width="${(row.base * scale).toFixed(1)}" height="20" fill="#9e9e9e"/>`,
      `<text x="${(labelWidth + row.base * scale + 6).toFixed(1)}" y="${y + 39}">${row.base.toFixed(0)} ms ${escape(row.baseName)}</text>`,
    ].join("\n  ");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `  <rect width="100%" height="100%" fill="#fff"/>`,
    `  <text x="12" y="24" font-size="16" font-weight="bold">create-gopher-project against create-vite (npm run bench)</text>`,
    `  <text x="12" y="44" fill="#555">${escape(title)}</text>`,
    `  ${bars.join("\n  ")}`,
    `  <text x="12" y="${height - 24}" fill="#555">Each pair of bars has its own scale. Generation: the URL shortener (--yes --no-git --no-tidy) against react-ts.</text>`,
    `  <text x="12" y="${height - 8}" fill="#555">First run: an empty compile cache (a temp directory of its own); the other rows find the cache an earlier run left.</text>`,
    `</svg>`,
    ``,
  ].join("\n");
}
