// npm run bench:url-shortener [-- seconds [rounds [connections [links]]]]: generates the
// url-shortener project through the core, builds it beside a bare Gin program that serves the same
// 302s from memory (bench/gin-baseline, copied into the generated repo so it builds with the Gin
// version the repo pins; also run with net/http's ServeMux), and loads the redirect path GET /<code>
// of each with wrk, interleaved: every round runs all three, in a rotating order, for `seconds`
// (default 10) with `connections` (default 64) connections; `rounds` (default 5) rounds after one
// warm-up round. It prints the medians of req/s, p50 and p99, server CPU per request, and the
// shortener's ratios to bare Gin.
//
// The shortener runs with its default configuration (LOG_LEVEL=info included) but for the rate
// limit of link creation, against a fresh database on the PostgreSQL server of DATABASE_URL
// (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; the role needs CREATEDB)
// and a fresh key prefix on REDIS_URL (default redis://127.0.0.1:6379/0). wrk requests `links`
// (default 1000) codes in turn, so the in-process cache expires entries while it runs, and
// Redis and PostgreSQL stay in the path of its misses. Needs wrk, psql and redis-cli on PATH.
// BENCH_PPROF_ADDR=127.0.0.1:6060 serves the shortener's pprof there (ADMIN_ADDR), to profile it
// while the bench runs. Everything it creates is removed afterwards, also on failure or Ctrl-C.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import fs from "fs-extra";

import { completeAnswers } from "../src/core/answers.js";
import { generateProject } from "../src/core/generateProject.js";
import { packageRoot } from "../src/core/packageInfo.js";
import { findSpec } from "../src/specs/catalogue.js";
import { cancellation, cpuSeconds, grab, median, stop, waitFor } from "./lib/benchRun.js";
import { freePort, reachable } from "./lib/net.js";

const spec = findSpec("url-shortener");
const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 5);
const connections = Number(process.argv[4] ?? 64);
const linkCount = Number(process.argv[5] ?? 1000);
const inRange = (n: number, lo: number, hi: number) => Number.isInteger(n) && n >= lo && n <= hi;
if (!inRange(seconds, 1, 600) || !inRange(rounds, 1, 50) || !inRange(connections, 1, 10_000) || !inRange(linkCount, 1, 100_000)) {
  console.error("usage: npm run bench:url-shortener -- [seconds, 1..600] [rounds, 1..50] [connections, 1..10000] [links, 1..100000]");
  process.exit(2);
}
const threads = Math.max(1, Math.min(os.cpus().length, connections, 4));
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379/0";
const pprofAddr = process.env.BENCH_PPROF_ADDR ?? "";
const baselineSource = path.join(packageRoot, "bench/gin-baseline/main.go.txt");
const runId = crypto.randomBytes(5).toString("hex");
const database = `bench_shortener_${runId}`;
const keyPrefix = `bench-shortener-${runId}:`;
const name = "shortener";

// Ctrl-C or SIGTERM cancels the step under way; the finally block below still cleans up.
const cancel = cancellation();
const { step } = cancel;

const psql = (url: string, sql: string) =>
  execa("psql", [url, "-v", "ON_ERROR_STOP=1", "-Atc", sql], { cancelSignal: cancel.signal });
const databaseUrl = () => {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
};


interface Run {
  rps: number;
  p50: number; // milliseconds
  p99: number;
  cpuPerRequest: number; // microseconds
}

const toMs = (value: string, unit: string) => Number(value) * ({ us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit] ?? Number.NaN);

/** wrk against base for duration seconds; the server's CPU is read around it. */
async function load(base: string, pid: number | undefined, duration: number, script: string): Promise<Run> {
  const cpuBefore = await cpuSeconds(pid);
  const { stdout } = await execa(
    "wrk",
    ["-t", String(threads), "-c", String(connections), "-d", `${duration}s`, "--latency", "-s", script, base, "--", path.join(root, "links.txt")],
    { cancelSignal: cancel.signal },
  );
  const cpu = (await cpuSeconds(pid)) - cpuBefore;
  const failures = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (failures) throw new Error(`wrk saw failures against ${base}:\n${stdout}`);
  const requests = Number(grab(/(\d+) requests in/, stdout, "request count")[1]);
  const [, p50, p50Unit] = grab(/^\s+50%\s+([\d.]+)(us|ms|s|m)$/m, stdout, "p50");
  const [, p99, p99Unit] = grab(/^\s+99%\s+([\d.]+)(us|ms|s|m)$/m, stdout, "p99");
  return {
    rps: Number(grab(/Requests\/sec:\s+([\d.]+)/, stdout, "Requests/sec")[1]),
    p50: toMs(p50!, p50Unit!),
    p99: toMs(p99!, p99Unit!),
    cpuPerRequest: (cpu / requests) * 1e6,
  };
}


// wrk requests the codes of the links file in turn, each thread from its own random start.
const wrkScript = `
local requests, n, i = {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local code = line:match("^(%S+)")
    if code then
      n = n + 1
      requests[n] = wrk.format("GET", "/" .. code)
    end
  end
  math.randomseed(os.time() + tonumber(tostring(requests):match("0x(%x+)") or "0", 16) % 1000003)
  i = math.random(n) - 1
end
function request()
  i = i % n + 1
  return requests[i]
end
`;

const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-bench-shortener-"));
const dir = path.join(root, name);
const bin = path.join(dir, "bin");
const running = new Map<string, ResultPromise>();
let databaseCreated = false;
let keysUsed = false;


try {
  for (const tool of ["wrk", "psql", "redis-cli"]) {
    if ((await execa(tool, ["--version"], { reject: false })).failed && (await execa("which", [tool], { reject: false })).failed) {
      throw new Error(`${tool} is not on PATH${tool === "wrk" ? " (apt-get install -y wrk)" : ""}`);
    }
  }
  const redis = new URL(redisUrl);
  if (!(await reachable(redis.hostname, Number(redis.port || 6379)))) throw new Error(`Redis is not reachable at ${redisUrl}`);

  step(`generating ${spec.id} into ${dir}`);
  await generateProject(spec, completeAnswers(spec, { name }), dir);
  await fs.copy(baselineSource, path.join(dir, "cmd/ginbaseline/main.go"));
  step(`building ${name} and ginbaseline`);
  await execa("go", ["build", "-trimpath", "-o", `${bin}/`, "./cmd/..."], { cwd: dir, env: { CGO_ENABLED: "0" }, cancelSignal: cancel.signal });
  const goVersion = (await execa("go", ["env", "GOVERSION"])).stdout.trim();
  const ginVersion = grab(/^\s*github\.com\/gin-gonic\/gin (\S+)/m, await fs.readFile(path.join(dir, "go.mod"), "utf8"), "gin version")[1];

  step(`creating database ${database}`);
  await psql(adminUrl, `CREATE DATABASE ${database}`);
  databaseCreated = true;
  const pgVersion = (await psql(adminUrl, "SHOW server_version")).stdout.trim();
  const redisVersion = grab(/redis_version:(\S+)/, (await execa("redis-cli", ["-u", redisUrl, "INFO", "server"])).stdout, "redis version")[1];
  await fs.outputFile(path.join(root, "links.lua"), wrkScript);

  // Every variable the generated config reads is set, empty (its default) unless chosen here, so
  // that nothing in the caller's environment changes the run.
  const configSource = await fs.readFile(path.join(dir, "internal/config/config.go"), "utf8");
  const blank = Object.fromEntries([...configSource.matchAll(/env:"([A-Z0-9_]+)/g)].map((m) => [m[1]!, ""]));
  const [port, ginPort, muxPort] = [await freePort(), await freePort(), await freePort()];
  const ours = `http://127.0.0.1:${port}`;
  const background = { reject: false, all: true, buffer: true, forceKillAfterDelay: 20_000, cancelSignal: cancel.signal } as const;
  step(`starting ${name} on :${port}${pprofAddr ? `, pprof on ${pprofAddr}` : ""}`);
  keysUsed = true;
  const app = execa(path.join(bin, name), [], {
    ...background,
    // Access-log lines go where a container's stdout would: to a file, here in the run's directory.
    stdout: { file: path.join(root, `${name}.log`) },
    env: {
      ...blank,
      HTTP_ADDR: `127.0.0.1:${port}`,
      ADMIN_ADDR: pprofAddr,
      DATABASE_URL: databaseUrl(),
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      RATE_LIMIT_RPS: "1000000",
      RATE_LIMIT_BURST: "1000000",
    },
  });
  running.set(name, app);
  await waitFor(`${ours}/healthz`, app, cancel.signal);

  step(`creating ${linkCount} links`);
  const lines: string[] = [];
  for (let i = 0; i < linkCount; i += 32) {
    const batch = Array.from({ length: Math.min(32, linkCount - i) }, async (_, j) => {
      const url = `https://example.org/bench/${i + j}?utm_source=bench`;
      const response = await fetch(`${ours}/api/v1/links`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url }),
        signal: cancel.signal,
      });
      if (response.status !== 201) throw new Error(`create link: HTTP ${response.status}: ${await response.text()}`);
      const { code } = (await response.json()) as { code: string };
      return `${code} ${url}`;
    });
    lines.push(...(await Promise.all(batch)));
  }
  await fs.outputFile(path.join(root, "links.txt"), `${lines.join("\n")}\n`);

  step(`starting ginbaseline on :${ginPort} (Gin) and :${muxPort} (ServeMux)`);
  const links = path.join(root, "links.txt");
  const gin = execa(path.join(bin, "ginbaseline"), ["-addr", `127.0.0.1:${ginPort}`, "-links", links], background);
  running.set("ginbaseline", gin);
  const mux = execa(path.join(bin, "ginbaseline"), ["-addr", `127.0.0.1:${muxPort}`, "-links", links, "-mux"], background);
  running.set("ginbaseline -mux", mux);
  const [code, url] = lines[0]!.split(" ");
  for (const [base, child] of [
    [`http://127.0.0.1:${ginPort}`, gin],
    [`http://127.0.0.1:${muxPort}`, mux],
    [ours, app],
  ] as const) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const response = await fetch(`${base}/${code}`, { redirect: "manual" }).catch(() => undefined);
      if (response?.status === 302 && response.headers.get("location") === url) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${base}/${code} does not redirect to ${url}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const contenders = [
    { label: "bare Gin", base: `http://127.0.0.1:${ginPort}`, pid: gin.pid },
    { label: `${spec.id}`, base: ours, pid: app.pid },
    { label: "bare ServeMux", base: `http://127.0.0.1:${muxPort}`, pid: mux.pid },
  ];
  const script = path.join(root, "links.lua");
  step(`warm-up: ${Math.min(seconds, 5)} s each`);
  for (const c of contenders) await load(c.base, c.pid, Math.min(seconds, 5), script);
  const runs = new Map<string, Run[]>(contenders.map((c) => [c.label, []]));
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    step(`round ${round + 1}/${rounds}: ${order.map((c) => c.label).join(", ")}, ${seconds} s each`);
    for (const c of order) {
      const run = await load(c.base, c.pid, seconds, script);
      runs.get(c.label)!.push(run);
      console.error(
        `    ${c.label.padEnd(14)} ${run.rps.toFixed(0).padStart(7)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  ` +
          `${run.cpuPerRequest.toFixed(1)} µs CPU/req`,
      );
    }
  }
  // What the in-process cache answered, and what it passed on to Redis (and PostgreSQL).
  const metricsText = await (await fetch(`${ours}/metrics`, { signal: cancel.signal })).text();
  const series = (metric: string, result: string) =>
    Number(new RegExp(`^${metric}\\{result="${result}"\\} (\\S+)$`, "m").exec(metricsText)?.[1] ?? Number.NaN);
  const local = { hit: series(`${name}_local_cache_requests_total`, "hit"), miss: series(`${name}_local_cache_requests_total`, "miss") };
  // The caches as a whole count a hit in memory or in Redis: Redis found the difference.
  const redisHits = series(`${name}_cache_requests_total`, "hit") - local.hit;
  await stop(running, name);

  const summary = Object.fromEntries(
    [...runs].map(([label, rs]) => [
      label,
      {
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        cpu: median(rs.map((r) => r.cpuPerRequest)),
      },
    ]),
  );
  const cpus = os.cpus();
  console.log(
    `${spec.id} redirect GET /<code> vs bare Gin ${ginVersion} (same 302s from memory), wrk -t${threads} -c${connections} -d${seconds}s over ` +
      `${linkCount} codes, ${rounds} interleaved rounds, medians: ${goVersion}, node ${process.version}, ` +
      `${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
      `PostgreSQL ${pgVersion}, Redis ${redisVersion}, load generator on the same machine`,
  );
  for (const [label, s] of Object.entries(summary)) {
    console.log(
      `  ${label.padEnd(14)} ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  ` +
        `${s.cpu.toFixed(1)} µs server CPU/req`,
    );
  }
  const ourSummary = summary[spec.id]!;
  const ginSummary = summary["bare Gin"]!;
  const rpsRatio = ourSummary.rps / ginSummary.rps;
  const p99Ratio = ourSummary.p99 / ginSummary.p99;
  // Each round's own ratio too: the load of the machine drifts less within a round than across.
  const ourRuns = runs.get(spec.id)!;
  const ginRuns = runs.get("bare Gin")!;
  const roundRps = median(ourRuns.map((r, i) => r.rps / ginRuns[i]!.rps));
  const roundP99 = median(ourRuns.map((r, i) => r.p99 / ginRuns[i]!.p99));
  console.log(
    `  ratios to bare Gin: ${spec.id} req/s ${rpsRatio.toFixed(2)}× (goal ≥ 0.8×), p99 ${p99Ratio.toFixed(2)}× (goal ≤ 1.5×); ` +
      `medians of the rounds' own ratios: req/s ${roundRps.toFixed(2)}×, p99 ${roundP99.toFixed(2)}×; ` +
      `bare ServeMux req/s ${(summary["bare ServeMux"]!.rps / ginSummary.rps).toFixed(2)}×`,
  );
  const lookups = local.hit + local.miss;
  if (Number.isFinite(lookups) && lookups > 0) {
    console.log(
      `  ${spec.id} lookups: ${((local.hit / lookups) * 100).toFixed(2)}% from process memory, ${local.miss} of ${lookups} passed on ` +
        `to Redis (${Number.isFinite(redisHits) ? redisHits : "?"} found there, the rest in PostgreSQL)`,
    );
  }
} catch (error) {
  if (!cancel.signal.aborted) process.exitCode = 1;
  console.error(`bench:url-shortener failed: ${error instanceof Error ? error.message : String(error)}`);
  const log = path.join(root, `${name}.log`);
  if (await fs.pathExists(log)) {
    const text = await fs.readFile(log, "utf8");
    console.error(`last lines of ${name}'s log:\n${text.slice(-3000)}`);
  }
} finally {
  for (const label of [...running.keys()]) await stop(running, label).catch((e: unknown) => console.error(`stop ${label}: ${String(e)}`));
  const problems: string[] = [];
  if (databaseCreated) {
    const dropped = await execa("psql", [adminUrl, "-v", "ON_ERROR_STOP=1", "-Atc", `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`], {
      reject: false,
      all: true,
      detached: true,
    });
    if (dropped.exitCode !== 0) problems.push(`drop database ${database}: ${String(dropped.all)}`);
  }
  if (keysUsed) {
    // Its own process group, so that a Ctrl-C on the terminal does not interrupt the cleanup.
    const deleted = await execa(
      "sh",
      ["-c", 'redis-cli -u "$1" --scan --pattern "$2*" | xargs -r redis-cli -u "$1" del >/dev/null', "sh", redisUrl, keyPrefix],
      { reject: false, all: true, detached: true },
    );
    if (deleted.exitCode !== 0) problems.push(`delete ${keyPrefix}* on ${redisUrl}: ${String(deleted.all)}`);
  }
  await fs.remove(root);
  if (problems.length > 0) {
    process.exitCode ||= 1;
    console.error(`cleanup failed:\n${problems.join("\n")}`);
  }
  console.error(`cleaned up: processes stopped, ${databaseCreated ? `database ${database} dropped, ` : ""}${keysUsed ? `keys ${keyPrefix}* deleted, ` : ""}${root} removed`);
}
