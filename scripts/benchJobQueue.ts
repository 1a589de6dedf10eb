// npm run bench:job-queue [-- jobs [workerConcurrency [batch]]]: generates the job-queue project
// through the core, builds it, runs its API and one worker against NATS (NATS_URL, default
// nats://127.0.0.1:4222) under a stream prefix of its own, and sets the generated load test's
// jobs/s end to end beside two baselines measured in the same run, each before and after the load
// test to show drift:
// - raw nats.go JetStream publish→consume→ack (bench/nats-baseline, built inside the generated
//   repo with its pinned nats.go), twice: published asynchronously from one goroutine (what the
//   batch endpoint does), and synchronously from as many goroutines as the load test has HTTP
//   clients (what one job per request does); each load test is set beside its own;
// - asynq on Redis (bench/asynq-baseline, built in a temporary module with asynq pinned below),
//   with the same job count, concurrency and enqueuing clients, on Redis database ASYNQ_REDIS_DB
//   (default 13) of ASYNQ_REDIS_ADDR (default 127.0.0.1:6379), flushed before and after; once with
//   asynq's default TaskCheckInterval (1 s: an idle processor sleeps that long) and once tuned
//   to 1 ms.
// The load test runs twice on the same api and worker: one job per request (as asynq's clients
// enqueue), then batch jobs per request (default 100) to POST /api/v1/jobs/batch. Everything it
// creates on the servers and on disk is removed afterwards, also on failure or Ctrl-C.
import crypto from "node:crypto";
import os from "node:os";
import path from "node:path";
import { execa, type Options, type ResultPromise } from "execa";
import fs from "fs-extra";

import { completeAnswers } from "../src/core/answers.js";
import { generateProject } from "../src/core/generateProject.js";
import { packageRoot } from "../src/core/packageInfo.js";
import { findSpec } from "../src/specs/catalogue.js";
import { cancellation, grab, stop, waitFor } from "./lib/benchRun.js";
import { freePort, reachable } from "./lib/net.js";

const spec = findSpec("job-queue");
const defaultConcurrency = spec.options.find((o) => o.name === "workerConcurrency")?.default;
const jobs = Number(process.argv[2] ?? 3000);
const concurrency = Number(process.argv[3] ?? defaultConcurrency);
const batch = Number(process.argv[4] ?? 100);
const httpClients = 32; // the load test's default, and LOADTEST_CONCURRENCY in the Makefile
if (
  !Number.isInteger(jobs) ||
  jobs < 1 ||
  jobs > 100_000 ||
  !Number.isInteger(concurrency) ||
  concurrency < 1 ||
  !Number.isInteger(batch) ||
  batch < 2 ||
  batch > 1000
) {
  console.error("usage: npm run bench:job-queue -- [jobs, 1..100000] [worker concurrency, >= 1] [batch, 2..1000]");
  process.exit(2);
}
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const baselineSource = path.join(packageRoot, "bench/nats-baseline/main.go.txt");
const asynqSource = path.join(packageRoot, "bench/asynq-baseline/main.go.txt");
// Pinned exactly: the baseline's module is made afresh each run.
const asynqVersion = "v0.26.0";
const redisAddr = process.env.ASYNQ_REDIS_ADDR ?? "127.0.0.1:6379";
const redisDb = process.env.ASYNQ_REDIS_DB ?? "13";
// Stream, consumer and bucket names of this run all start with it (the generated config allows 32
// characters of [A-Za-z0-9_-] for STREAM_PREFIX).
const runId = `BENCH_${crypto.randomBytes(5).toString("hex").toUpperCase()}`;

// Ctrl-C or SIGTERM cancels the step under way; the finally block below still cleans up.
const cancel = cancellation();
const { step } = cancel;

const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-bench-jq-"));
const dir = path.join(root, "job-queue");
const bin = path.join(dir, "bin");
const running = new Map<string, ResultPromise>();
let built = false;
let cleanedUp = false;


/** Builds bench/asynq-baseline in a module of its own, with asynq at asynqVersion. */
async function buildAsynqBaseline(): Promise<void> {
  const module = path.join(root, "asynqbaseline");
  await fs.outputFile(path.join(module, "go.mod"), `module asynqbaseline\n\ngo 1.26\n\nrequire github.com/hibiken/asynq ${asynqVersion}\n`);
  await fs.copy(asynqSource, path.join(module, "main.go"));
  const env = { GOFLAGS: "-mod=mod", CGO_ENABLED: "0" };
  await execa("go", ["mod", "tidy"], { cwd: module, env, cancelSignal: cancel.signal });
  await execa("go", ["build", "-trimpath", "-o", path.join(bin, "asynqbaseline"), "."], { cwd: module, env, cancelSignal: cancel.signal });
}

async function asynq(checkInterval: string): Promise<{ rate: number; server: string; line: string }> {
  const { stdout } = await execa(
    path.join(bin, "asynqbaseline"),
    ["-redis", redisAddr, "-db", redisDb, "-n", String(jobs), "-c", String(concurrency), "-clients", String(httpClients), "-check-interval", checkInterval],
    { cancelSignal: cancel.signal },
  );
  return {
    rate: Number(grab(/([\d.]+) tasks\/s end to end/, stdout, "tasks/s end to end")[1]),
    server: grab(/^redis (\S+)/m, stdout, "redis version")[1]!,
    line: grab(/^all .*$/m, stdout, "result line")[0],
  };
}

/** Raw JetStream: async publishes from one goroutine, or (publishers > 0) sync ones from that many. */
async function baseline(name: string, publishers = 0): Promise<{ rate: number; server: string; line: string }> {
  const { stdout } = await execa(
    path.join(bin, "natsbaseline"),
    ["-url", natsUrl, "-name", name, "-n", String(jobs), "-publishers", String(publishers)],
    { cancelSignal: cancel.signal },
  );
  return {
    rate: Number(grab(/([\d.]+) msgs\/s end to end/, stdout, "msgs/s end to end")[1]),
    server: grab(/^nats-server (\S+)/m, stdout, "server version")[1]!,
    line: grab(/^all .*$/m, stdout, "result line")[0],
  };
}

try {
  const server = new URL(natsUrl);
  if (!(await reachable(server.hostname, Number(server.port || 4222)))) {
    throw new Error(`NATS with JetStream is not reachable at ${natsUrl}`);
  }
  const [redisHost, redisPort] = redisAddr.split(":");
  if (!(await reachable(redisHost!, Number(redisPort ?? 6379)))) {
    throw new Error(`Redis is not reachable at ${redisAddr} (ASYNQ_REDIS_ADDR), for the asynq baseline`);
  }

  step(`generating ${spec.id} into ${dir}`);
  await generateProject(spec, completeAnswers(spec, { name: "job-queue" }), dir);
  await fs.copy(baselineSource, path.join(dir, "cmd/natsbaseline/main.go"));
  step("building api, worker, loadtest and natsbaseline");
  await execa("go", ["build", "-trimpath", "-o", `${bin}/`, "./cmd/..."], {
    cwd: dir,
    env: { CGO_ENABLED: "0" },
    cancelSignal: cancel.signal,
  });
  built = true;
  step(`building the asynq baseline (asynq ${asynqVersion})`);
  await buildAsynqBaseline();
  const goVersion = (await execa("go", ["env", "GOVERSION"])).stdout.trim();

  step(`raw JetStream baseline (before), ${jobs} messages`);
  const before = await baseline(`${runId}_RAW1`);
  step(`raw JetStream baseline (before), ${jobs} messages, ${httpClients} synchronous publishers`);
  const syncBefore = await baseline(`${runId}_RAWS1`, httpClients);
  step(`asynq baseline (before), ${jobs} tasks, redis ${redisAddr} db ${redisDb}`);
  const asynqBefore = { idle1s: await asynq("1s"), idle1ms: await asynq("1ms") };

  // Every variable the generated config reads is set here, empty (its default) unless chosen, so
  // that nothing in the caller's environment changes the run.
  const configSource = await fs.readFile(path.join(dir, "internal/config/config.go"), "utf8");
  const blank = Object.fromEntries([...configSource.matchAll(/env:"([A-Z0-9_]+)/g)].map((m) => [m[1]!, ""]));
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  // Warnings and errors only, as the asynq baseline: an access-log line per request costs the API
  // more than the request.
  const common = { ...blank, NATS_URL: natsUrl, STREAM_PREFIX: `${runId}_JQ`, LOG_LEVEL: "warn" };
  const background: Options = {
    reject: false,
    all: true,
    buffer: true,
    forceKillAfterDelay: 30_000,
    cancelSignal: cancel.signal,
  };
  step(`starting the api (:${apiPort}) and a worker (:${workerPort}, WORKER_CONCURRENCY=${concurrency})`);
  const api = execa(path.join(bin, "api"), [], { ...background, env: { ...common, HTTP_ADDR: `127.0.0.1:${apiPort}` } });
  running.set("api", api);
  await waitFor(`http://127.0.0.1:${apiPort}/healthz`, api, cancel.signal);
  const worker = execa(path.join(bin, "worker"), [], {
    ...background,
    env: { ...common, HTTP_ADDR: `127.0.0.1:${workerPort}`, WORKER_CONCURRENCY: String(concurrency) },
  });
  running.set("worker", worker);
  await waitFor(`http://127.0.0.1:${workerPort}/healthz`, worker, cancel.signal);

  const loadTest = async (jobsPerRequest: number) => {
    step(`load test, ${jobs} echo jobs, ${jobsPerRequest} per request`);
    const { stdout } = await execa(
      path.join(bin, "loadtest"),
      [
        ...["-api", `http://127.0.0.1:${apiPort}`, "-nats", natsUrl, "-prefix", common.STREAM_PREFIX],
        ...["-n", String(jobs), "-c", String(httpClients), "-batch", String(jobsPerRequest)],
      ],
      { cancelSignal: cancel.signal },
    );
    return {
      rate: Number(grab(/([\d.]+) jobs\/s end to end/, stdout, "jobs/s end to end")[1]),
      line: `${grab(/^enqueued .*$/m, stdout, "enqueue line")[0]}; ${grab(/^all .*$/m, stdout, "result line")[0]}`,
    };
  };
  const single = await loadTest(1);
  const batched = await loadTest(batch);
  await stop(running, "worker");
  await stop(running, "api");

  step(`asynq baseline (after), ${jobs} tasks`);
  const asynqAfter = { idle1s: await asynq("1s"), idle1ms: await asynq("1ms") };
  step(`raw JetStream baseline (after), ${jobs} messages`);
  const after = await baseline(`${runId}_RAW2`);
  step(`raw JetStream baseline (after), ${jobs} messages, ${httpClients} synchronous publishers`);
  const syncAfter = await baseline(`${runId}_RAWS2`, httpClients);

  const raw = (before.rate + after.rate) / 2;
  const rawSync = (syncBefore.rate + syncAfter.rate) / 2;
  const asynqDefault = (asynqBefore.idle1s.rate + asynqAfter.idle1s.rate) / 2;
  const asynqTuned = (asynqBefore.idle1ms.rate + asynqAfter.idle1ms.rate) / 2;
  const cpus = os.cpus();
  // Like with like: one job per request against asynq (one Enqueue per task, as many clients) and
  // raw JetStream published synchronously by as many clients; batches against raw JetStream
  // published asynchronously. Batches against asynq, which enqueues one task per call here, are
  // shown too, marked as not like with like.
  const ratios = (rate: number, rawRate: number) =>
    `${(rate / asynqDefault).toFixed(2)}× asynq (default), ${(rate / asynqTuned).toFixed(2)}× asynq (1 ms), ${(rate / rawRate).toFixed(3)}× raw JetStream`;
  console.log(
    `job-queue vs asynq and raw JetStream, ${jobs} jobs: node ${process.version}, ${goVersion}, ` +
      `nats-server ${before.server}, redis ${asynqBefore.idle1s.server}, ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"})`,
  );
  console.log(`  job queue (1 api, 1 worker with WORKER_CONCURRENCY=${concurrency}, loadtest -c ${httpClients}):`);
  console.log(`    one job per request:   ${single.rate.toFixed(0)} jobs/s end to end  [${single.line}]`);
  console.log(`    ${`${batch} jobs per request:`.padEnd(22)} ${batched.rate.toFixed(0)} jobs/s end to end  [${batched.line}]`);
  console.log(`  asynq ${asynqVersion} (concurrency ${concurrency}, ${httpClients} enqueuing clients, one Enqueue each; same N):`);
  console.log(
    `    default TaskCheckInterval 1s: ${asynqDefault.toFixed(0)} tasks/s end to end, ` +
      `mean of before ${asynqBefore.idle1s.rate.toFixed(0)} and after ${asynqAfter.idle1s.rate.toFixed(0)}`,
  );
  console.log(
    "      (bimodal: processors that found the queue empty just before the burst sleep up to 1 s; otherwise the same as 1 ms)",
  );
  console.log(
    `    TaskCheckInterval 1ms:        ${asynqTuned.toFixed(0)} tasks/s end to end, ` +
      `mean of before ${asynqBefore.idle1ms.rate.toFixed(0)} and after ${asynqAfter.idle1ms.rate.toFixed(0)}`,
  );
  console.log(`  raw nats.go JetStream (pull consumer, ack; same N):`);
  console.log(
    `    async publish, one goroutine:          ${raw.toFixed(0)} msgs/s end to end, mean of before ${before.rate.toFixed(0)} and after ${after.rate.toFixed(0)}`,
  );
  console.log(
    `    sync publish, ${String(httpClients).padEnd(2)} goroutines:           ${rawSync.toFixed(0)} msgs/s end to end, ` +
      `mean of before ${syncBefore.rate.toFixed(0)} and after ${syncAfter.rate.toFixed(0)}`,
  );
  console.log(`  ratios, one job per request: ${ratios(single.rate, rawSync)} (sync publish, ${httpClients} goroutines)`);
  console.log(`    against async raw JetStream: ${(single.rate / raw).toFixed(3)}× (not like with like)`);
  console.log(`  ratios, ${batch} per request:    ${ratios(batched.rate, raw)} (async publish)`);
  console.log(`    the asynq ratios of batches are not like with like: asynq enqueues one task per call`);
} catch (error) {
  if (!cancel.signal.aborted) process.exitCode = 1;
  console.error(`bench:job-queue failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  for (const name of [...running.keys()]) await stop(running, name).catch((e: unknown) => console.error(`stop ${name}: ${String(e)}`));
  if (built) {
    // Its own process group, so that a Ctrl-C on the terminal does not interrupt the cleanup.
    const cleanup = await execa(path.join(bin, "natsbaseline"), ["-url", natsUrl, "-cleanup-prefix", runId], {
      reject: false,
      all: true,
      detached: true,
    });
    cleanedUp = cleanup.exitCode === 0;
    if (!cleanedUp) {
      process.exitCode ||= 1;
      console.error(`cleanup of ${runId}* on ${natsUrl} failed:\n${String(cleanup.all)}`);
    }
  }
  await fs.remove(root);
  console.error(`cleaned up: processes stopped, ${cleanedUp ? `no stream or bucket ${runId}* left, ` : ""}${root} removed`);
}
