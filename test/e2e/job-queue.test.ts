import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { findSpec } from "../../src/specs/catalogue.js";
import { childEnv, services } from "../support/environment.js";
import { generateInto, removeTree } from "../support/generate.js";
import { buildLikeDockerfile, checkNonGoFiles, sh } from "../support/goLadder.js";
import { itClimbsTheGoLadder } from "../support/ladderTests.js";
import { ladderPrerequisites } from "../support/prerequisites.js";
import { freePort, start, terminate, waitFor } from "../support/processes.js";
import { reachable } from "../../scripts/lib/net.js";

const spec = findSpec("job-queue");
const { tools, skipReason } = await ladderPrerequisites(spec);

interface JobRecord {
  id: string;
  type: string;
  status: string;
  attempts: number;
  max_attempts: number;
  last_error: string;
}

describe.skipIf(skipReason)("job-queue, generated and put through the Go ladder", () => {
  let dir: string;
  // Every stream, consumer, bucket and subject of this run lives under this prefix.
  const prefix = `E2E_${randomBytes(6).toString("hex").toUpperCase()}`;
  let queueUsed = false;
  const children: ResultPromise[] = [];
  // The crash test's own NATS server (it kills it), with a store of its own.
  let nats: { url: string; port: number; store: string; process?: ResultPromise } | undefined;
  // Scraped by the crash test while api and the second worker run, read by the dashboard test.
  let live: { api: string; worker: string } | undefined;

  beforeAll(async () => {
    ({ dir } = await generateInto("job-queue", { name: "jobqueue", module: "example.com/acme/jobqueue" }));
  });
  afterAll(async () => {
    if (!dir) return;
    try {
      // A test that failed half-way may have left processes running.
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await child;
      }
      if (queueUsed && nats?.process && nats.process.exitCode === null) {
        const { before, after } = await deleteStreams(dir, prefix, nats.url);
        // Listing before the deletion proves the listing sees this run's resources at all.
        expect(before, "streams under the run's prefix before cleanup").toEqual(
          expect.arrayContaining([`${prefix}_JOBS`, `${prefix}_DEAD`, `KV_${prefix}_STATUS`]),
        );
        expect(after, `streams left behind under ${prefix}`).toEqual([]);
      }
    } finally {
      if (nats?.process && nats.process.exitCode === null && nats.process.signalCode === null) {
        nats.process.kill("SIGTERM");
        await nats.process;
      }
      if (nats) await fs.remove(nats.store);
      await removeTree(dir);
    }
  }, 120_000);

  itClimbsTheGoLadder(() => dir, {
    golangciLint: tools.golangciLint,
    govulncheck: spec.tools.govulncheck,
    tags: ["integration"],
    integration: {
      against: "NATS JetStream",
      env: { NATS_URL: services.nats.url },
      mustPass: [
        "TestIntegration_AllJobsSucceedOnce", // N jobs → N succeeded, none run twice
        "TestIntegration_FlakyJobIsDeadLettered", // retried, then dead-lettered with its last error
        "TestIntegration_IdempotencyKeyRunsOnce", // one idempotency key → one run
        "TestIntegration_RetryThenSuccess",
        "TestIntegration_RedeliveryWhileRunningRunsOnce", // a job redelivered while it runs → held, one run
        "TestIntegration_IdempotencyKeyConflict", // one key, another payload → conflict, queued or done
        "TestEnsureIsIdempotent",
        "TestStore", // compare-and-set: a stale writer loses
        "TestPublishDeduplicatesAndDeliversOnce",
        "TestPublishAllAndPrefetch",
        "TestSweepRemovesOrphans", // acknowledged messages left in the stream are swept, unfinished jobs republished
        "TestDeadLetterAndTerm",
        "TestDepthCollector",
      ],
      // run() of both binaries, end to end.
      check: (output) => expect(output.match(/--- PASS: TestRunEndToEnd \(/g), "TestRunEndToEnd of cmd/api and cmd/worker").toHaveLength(2),
    },
  });

  it("ships a workflow, Dockerfile, YAML and Makefile that check out", () => checkNonGoFiles(dir, tools.actionlint), 120_000);

  it("make run starts api and worker on their own addresses from one .env, runs a job, and Ctrl-C stops both quietly", async () => {
    const runPrefix = `${prefix}_RUN`;
    const [apiPort, workerPort, apiAdminPort, workerAdminPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    // .env.example as a user would fill it in, pointed at the shared NATS under a prefix of its own.
    const env = (await fs.readFile(path.join(dir, ".env.example"), "utf8"))
      .replace(/^NATS_URL=.*$/m, `NATS_URL=${services.nats.url}`)
      .replace(/^STREAM_PREFIX=.*$/m, `STREAM_PREFIX=${runPrefix}`)
      .replace(/^API_ADDR=.*$/m, `API_ADDR=127.0.0.1:${apiPort}`)
      .replace(/^WORKER_ADDR=.*$/m, `WORKER_ADDR=127.0.0.1:${workerPort}`)
      .replace(/^API_ADMIN_ADDR=.*$/m, `API_ADMIN_ADDR=127.0.0.1:${apiAdminPort}`)
      .replace(/^WORKER_ADMIN_ADDR=.*$/m, `WORKER_ADMIN_ADDR=127.0.0.1:${workerAdminPort}`);
    expect(env, "every listen address of make run comes from .env").toMatch(/^WORKER_ADMIN_ADDR=127\.0\.0\.1:\d+$/m);
    await fs.writeFile(path.join(dir, ".env"), env);
    // Its own process group, as a terminal's foreground job: Ctrl-C reaches make and both binaries.
    const run = execa("make", ["--no-print-directory", "run"], { cwd: dir, env: childEnv(), extendEnv: false, reject: false, all: true, detached: true });
    try {
      const api = `http://127.0.0.1:${apiPort}`;
      await Promise.all([waitFor(`${api}/healthz`, 240_000), waitFor(`http://127.0.0.1:${workerPort}/healthz`, 240_000)]);
      const id = await enqueue(api, { type: "echo", payload: { via: "make run" } });
      const [record] = await waitForStatus(api, [id], "succeeded", 30_000, [run]);
      expect(record).toMatchObject({ status: "succeeded", attempts: 1 });

      process.kill(-run.pid!, "SIGINT");
      const stopped = await run;
      const output = String(stopped.all);
      expect(stopped.exitCode === 0 || stopped.signal === "SIGINT", `make run after Ctrl-C: ${stopped.exitCode ?? stopped.signal}\n${output}`).toBe(true);
      expect(output).not.toMatch(/\*\*\*|Error \d+/);
      // Each binary stops its server and its pprof listener.
      expect(output.match(/"msg":"http server stopped"/g), "both binaries stopped both their servers").toHaveLength(4);
    } finally {
      if (run.exitCode === null && run.signalCode === null) process.kill(-run.pid!, "SIGKILL");
      await run;
      await fs.remove(path.join(dir, ".env"));
      const { after } = await deleteStreams(dir, runPrefix, services.nats.url);
      expect(after, `streams left behind under ${runPrefix}`).toEqual([]);
    }
  }, 600_000);

  it("survives a worker killed mid-job and a NATS server killed mid-run: every job final exactly once, the metrics agree", async () => {
    const bin = path.join(dir, "out");
    await buildLikeDockerfile(dir, bin);
    for (const binary of spec.binaries) {
      const file = await execa("file", [path.join(bin, binary)], { reject: false });
      if (file.exitCode === 0) expect(file.stdout).toMatch(/statically linked/);
    }

    // A NATS server of its own (never the shared one: step 5 kills it), on a free port, with a
    // store of its own that survives the kill.
    const natsPort = await freePort();
    nats = { port: natsPort, url: `nats://127.0.0.1:${natsPort}`, store: await fs.mkdtemp(path.join(os.tmpdir(), "jobqueue-e2e-nats-")) };
    const server = nats;
    const startNats = async () => {
      // Not in children: afterAll stops it last, after deleting the run's streams on it.
      server.process = execa(natsServer, ["-a", "127.0.0.1", "-p", String(server.port), "-js", "-sd", server.store], {
        reject: false,
        all: true,
        buffer: true,
      });
      await eventually("nats-server accepting connections", 10_000, [server.process], async () => ({
        done: await reachable("127.0.0.1", server.port),
        value: undefined,
        seen: "",
      }));
    };
    await startNats();
    const common = { NATS_URL: server.url, STREAM_PREFIX: prefix, LOG_LEVEL: "debug" };
    const [apiPort, worker1Port, worker2Port] = [await freePort(), await freePort(), await freePort()];
    const api = `http://127.0.0.1:${apiPort}`;
    const workerEnv = (port: number) => ({
      ...common,
      HTTP_ADDR: `127.0.0.1:${port}`,
      ACK_WAIT: "3s",
      WORKER_CONCURRENCY: "16",
    });
    queueUsed = true;
    const apiProcess = track(children, start(path.join(bin, "api"), [], { ...common, HTTP_ADDR: `127.0.0.1:${apiPort}` }));
    const worker1 = track(children, start(path.join(bin, "worker"), [], workerEnv(worker1Port)));
    await Promise.all([waitFor(`${api}/healthz`), waitFor(`http://127.0.0.1:${worker1Port}/healthz`)]);

    // 1. Quick jobs, run by the first worker.
    const M = 40;
    const echoIds: string[] = [];
    for (let i = 0; i < M; i++) echoIds.push(await enqueue(api, { type: "echo", payload: { i } }));
    await waitForStatus(api, echoIds, "succeeded", 30_000, [apiProcess, worker1]);

    // 2. Long jobs: wait until the first worker runs them all, then kill it without warning.
    const K = 4;
    const sleepIds: string[] = [];
    for (let i = 0; i < K; i++) sleepIds.push(await enqueue(api, { type: "sleep", payload: { ms: 8000 } }));
    await waitForStatus(api, sleepIds, "running", 20_000, [apiProcess, worker1]);
    const beforeKill = await scrapeUntil(`http://127.0.0.1:${worker1Port}`, "first worker counts the echo jobs", [worker1], (text) =>
      value(text, "jobqueue_jobs_processed_total", { outcome: "succeeded" }) >= M,
    );
    expect(value(beforeKill, "jobqueue_jobs_in_flight"), "jobs running in the first worker").toBe(K);
    const worker1Succeeded = value(beforeKill, "jobqueue_jobs_processed_total", { outcome: "succeeded" });
    expect(worker1Succeeded, "echo jobs the first worker finished").toBe(M);

    worker1.kill("SIGKILL");
    const killed = await worker1;
    expect(killed.signal, String(killed.all)).toBe("SIGKILL");

    // 3. A new worker on the same queue picks the abandoned jobs up once their ack wait runs out.
    const worker2 = track(children, start(path.join(bin, "worker"), [], workerEnv(worker2Port)));
    await waitFor(`http://127.0.0.1:${worker2Port}/healthz`);
    const records = await waitForStatus(api, [...echoIds, ...sleepIds], "succeeded", 60_000, [apiProcess, worker2]);
    for (const record of records) {
      const want = record.type === "echo" ? 1 : 2; // the sleep jobs: killed on attempt 1, done on attempt 2
      expect(record, `job ${record.id}`).toMatchObject({ status: "succeeded", attempts: want, last_error: "" });
    }

    // 4. The metrics tell the same story: M + K enqueued, M + K successes across both workers.
    live = {
      worker: await scrapeUntil(`http://127.0.0.1:${worker2Port}`, "second worker counts the sleep jobs", [worker2], (text) =>
        value(text, "jobqueue_jobs_processed_total", { outcome: "succeeded" }) >= K,
      ),
      // The stream empties as the acknowledgements arrive, just after the records say succeeded.
      api: await scrapeUntil(api, "jobs stream empty", [apiProcess], (text) => value(text, "jobqueue_queue_depth") === 0),
    };
    const worker2Succeeded = value(live.worker, "jobqueue_jobs_processed_total", { outcome: "succeeded" });
    expect(value(live.worker, "jobqueue_jobs_processed_total", { type: "echo" }), "echo jobs rerun by the second worker").toBe(0);
    expect(value(live.worker, "jobqueue_jobs_processed_total", { type: "sleep", outcome: "succeeded" })).toBe(K);
    for (const outcome of ["failed", "dead", "aborted", "duplicate"]) {
      expect(value(live.worker, "jobqueue_jobs_processed_total", { outcome }), `second worker, outcome ${outcome}`).toBe(0);
    }
    const enqueued = value(live.api, "jobqueue_jobs_enqueued_total");
    expect(enqueued, "jobs the api counted as enqueued").toBe(M + K);
    expect(worker1Succeeded + worker2Succeeded).toBe(enqueued);

    // 5. NATS killed (kill -9) mid-run and restarted on the same store: a batch of short jobs,
    // some running, some waiting, some with their acks in flight. Every job still ends succeeded,
    // each run exactly once, and the work queue drains.
    const N = 1200;
    const crashIds: string[] = [];
    for (let from = 0; from < N; from += 200) {
      const jobs = Array.from({ length: Math.min(200, N - from) }, () => ({ type: "sleep", payload: { ms: 25 } }));
      crashIds.push(...(await enqueueBatch(api, jobs)));
    }
    await scrapeUntil(`http://127.0.0.1:${worker2Port}`, "a third of the batch done", [worker2], (text) =>
      value(text, "jobqueue_jobs_processed_total", { type: "sleep", outcome: "succeeded" }) >= K + N / 3,
    );
    server.process!.kill("SIGKILL");
    const crashed = await server.process!;
    expect(crashed.signal, String(crashed.all)).toBe("SIGKILL");
    await new Promise((r) => setTimeout(r, 1000));
    await startNats();

    const crashRecords = await waitForStatus(api, crashIds, "succeeded", 60_000, [apiProcess, worker2]);
    for (const record of crashRecords) expect(record.status, `job ${record.id}`).toBe("succeeded");
    const afterCrash = await scrapeUntil(api, "jobs stream drained after the crash", [apiProcess], (text) => value(text, "jobqueue_queue_depth") === 0, 30_000);
    expect(value(afterCrash, "jobqueue_queue_depth"), "messages left in the jobs stream").toBe(0);
    const workerAfterCrash = await scrape(`http://127.0.0.1:${worker2Port}`);
    expect(value(workerAfterCrash, "jobqueue_job_duplicate_executions_total"), "duplicate executions").toBe(0);

    // 6. SIGTERM: both go, cleanly and quickly.
    for (const child of [apiProcess, worker2]) {
      const stopped = await terminate(child);
      expect(stopped.exitCode, stopped.output).toBe(0);
      expect(stopped.ms).toBeLessThan(5_000);
    }
    // Each run of a sleep job logs one line: none ran twice, across the kill.
    const runs = new Map<string, number>();
    for (const line of String((await worker2).all).split("\n")) {
      const id = line.includes('"msg":"sleep"') ? /"job_id":"([A-Z0-9]+)"/.exec(line)?.[1] : undefined;
      if (id) runs.set(id, (runs.get(id) ?? 0) + 1);
    }
    const ranTwice = crashIds.filter((id) => (runs.get(id) ?? 0) > 1);
    const neverRan = crashIds.filter((id) => !runs.has(id));
    expect(ranTwice, "jobs run more than once").toEqual([]);
    expect(neverRan, "jobs never run").toEqual([]);
  }, 300_000);

  it("has a Grafana dashboard whose queries name only metrics the binaries expose", async () => {
    expect(live, "the crash test did not get to scrape the running binaries").toBeDefined();
    const dashboard: unknown = JSON.parse(await fs.readFile(path.join(dir, "deploy/grafana/dashboards/jobqueue.json"), "utf8"));
    const exprs = collect(dashboard, "expr");
    expect(exprs.length).toBeGreaterThan(0);
    const queried = new Set(exprs.flatMap((expr) => expr.match(/\bjobqueue_[a-z_]+/g) ?? []));
    expect(queried.size).toBeGreaterThan(0);

    const scrapes = [live!.api, live!.worker];
    const types = new Map<string, string>();
    for (const text of scrapes) {
      for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(name!, type!);
    }
    const sampled = (name: string) => scrapes.some((text) => new RegExp(`^${name}(\\{| )`, "m").test(text));
    const absent: string[] = [];
    for (const name of queried) {
      const base = name.replace(/_(bucket|sum|count)$/, "");
      const family = base !== name && types.get(base) === "histogram" ? base : name;
      if (!types.has(family) || !sampled(name)) absent.push(name);
    }
    expect(absent, `queried by the dashboard, absent from /metrics of api and worker (queried: ${[...queried].join(", ")})`).toEqual([]);
  });
});

function track(children: ResultPromise[], child: ResultPromise): ResultPromise {
  children.push(child);
  return child;
}

const natsServer = "/usr/sbin/nats-server";

async function enqueueBatch(base: string, jobs: unknown[]): Promise<string[]> {
  const response = await fetch(`${base}/api/v1/jobs/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jobs }),
  });
  const text = await response.text();
  expect(response.status, text).toBe(202);
  const { jobs: results } = JSON.parse(text) as { jobs: { id: string; status: string }[] };
  expect(results).toHaveLength(jobs.length);
  return results.map((r) => r.id);
}

async function enqueue(base: string, body: unknown): Promise<string> {
  const response = await fetch(`${base}/api/v1/jobs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, text).toBe(202);
  const { id, status } = JSON.parse(text) as { id: string; status: string };
  expect(status).toBe("queued");
  return id;
}

/**
 * Calls probe until it reports done, at most timeoutMs; fails early, with its output, if a
 * watched process exits, and on timeout with what probe saw last.
 */
async function eventually<T>(
  what: string,
  timeoutMs: number,
  watch: ResultPromise[],
  probe: () => Promise<{ done: boolean; value: T; seen: string }>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const child of watch) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const result = await child;
        throw new Error(`${what}: a process exited (exit ${result.exitCode}, signal ${result.signal}):\n${String(result.all).slice(-8000)}`);
      }
    }
    const { done, value, seen } = await probe();
    if (done) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last seen:\n${seen}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls GET /api/v1/jobs/:id until every job has the status, 32 requests at a time. */
function waitForStatus(base: string, ids: string[], status: string, timeoutMs: number, watch: ResultPromise[]): Promise<JobRecord[]> {
  return eventually(`${ids.length} jobs ${status}`, timeoutMs, watch, async () => {
    const records: JobRecord[] = [];
    for (let from = 0; from < ids.length; from += 32) {
      records.push(
        ...(await Promise.all(
          ids.slice(from, from + 32).map(async (id) => {
            const response = await fetch(`${base}/api/v1/jobs/${id}`, { signal: AbortSignal.timeout(5000) });
            expect(response.status, `GET job ${id}`).toBe(200);
            return (await response.json()) as JobRecord;
          }),
        )),
      );
    }
    const behind = records.filter((r) => r.status !== status);
    const seen = behind.map((r) => `${r.id} ${r.type} ${r.status} (attempts ${r.attempts}${r.last_error ? `, ${r.last_error}` : ""})`);
    return { done: behind.length === 0, value: records, seen: seen.join("\n") };
  });
}

/**
 * Scrapes until check passes. A worker writes a job's record before it acknowledges the message
 * and counts the attempt, so the metrics may trail the records by a moment.
 */
function scrapeUntil(base: string, what: string, watch: ResultPromise[], check: (text: string) => boolean, timeoutMs = 10_000): Promise<string> {
  return eventually(what, timeoutMs, watch, async () => {
    const text = await scrape(base);
    const seen = text.split("\n").filter((line) => line.startsWith("jobqueue_") && !/_bucket\{/.test(line)).join("\n");
    return { done: check(text), value: text, seen };
  });
}

async function scrape(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The sum of the samples of a metric whose labels include the given ones (0 when there are none). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const [, metric, rawLabels, sample] of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)/gm)) {
    if (metric !== name) continue;
    const got = Object.fromEntries([...(rawLabels ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) total += Number(sample);
  }
  return total;
}

/** Every string value of the given key, anywhere in a parsed JSON document. */
function collect(node: unknown, key: string): string[] {
  if (Array.isArray(node)) return node.flatMap((child) => collect(child, key));
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([k, v]) => (k === key && typeof v === "string" ? [v] : collect(v, key)));
}

/**
 * Deletes the run's streams, consumer and bucket with the generated repository's own helpers
 * (internal/queuetest), through a throwaway program in the module. Its directory starts with an
 * underscore, so ./... patterns (vet, lint, tests, tidy) never see it.
 */
async function deleteStreams(dir: string, prefix: string, natsUrl: string): Promise<{ before: string[]; after: string[] }> {
  const program = path.join(dir, "_e2e", "cleanup");
  await fs.outputFile(path.join(program, "main.go"), cleanupProgram);
  try {
    const { stdout } = await sh("go", ["run", "./_e2e/cleanup", prefix], { cwd: dir, env: { NATS_URL: natsUrl } });
    const report = JSON.parse(String(stdout)) as { before: string[] | null; after: string[] | null };
    return { before: report.before ?? [], after: report.after ?? [] };
  } finally {
    await fs.remove(path.dirname(program));
  }
}

const cleanupProgram = `// Command cleanup deletes the JetStream resources of one STREAM_PREFIX and prints, as JSON, the
// streams under that prefix before and after. Written by the e2e test; not part of the project.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"example.com/acme/jobqueue/internal/queue"
	"example.com/acme/jobqueue/internal/queuetest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return errors.New("usage: cleanup STREAM_PREFIX")
	}
	names, err := queue.NamesFor(os.Args[1])
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nc, err := nats.Connect(os.Getenv("NATS_URL"))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	report := struct {
		Before []string \`json:"before"\`
		After  []string \`json:"after"\`
	}{Before: queuetest.Leftovers(ctx, js, names.Prefix)}
	if err := queuetest.Delete(ctx, js, names); err != nil {
		return err
	}
	report.After = queuetest.Leftovers(ctx, js, names.Prefix)
	return json.NewEncoder(os.Stdout).Encode(report)
}
`;
