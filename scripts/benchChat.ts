// npm run bench:chat [-- clients [rate [seconds [rounds]]]]: generates the chat project through
// the core, builds it beside a bare WebSocket broadcast server speaking the same frames
// (bench/ws-baseline, copied into the generated repo so it builds with the coder/websocket version
// the repo pins), and loads both with the generated load test (cmd/loadtest): `clients` (default
// 100) sockets in one room, `rate` (default 200) messages/s in all for `seconds` (default 10),
// spread over as many senders as the gateway's per-connection limit needs. The chat runs as
// deployed, with its default configuration: auth, chat and TWO gateways (the clients alternate
// between them, so most deliveries cross NATS from the other replica's sender), fresh databases
// on the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres;
// the role needs CREATEDB) and a subject prefix of its own on NATS_URL (default
// nats://127.0.0.1:4222). The baseline is one process, no auth, no storage, no NATS. After one
// warm-up each, `rounds` (default 3) interleaved rounds run both, in alternating order; it prints
// the medians of delivered messages/s, p50 and p99 end-to-end latency and the servers' CPU per
// delivery (the chat's per process; PostgreSQL's and NATS's not counted), and the chat's ratios to
// the baseline. A run in which a server dropped sockets (slow consumers: the machine could not keep
// up) counts, with its drops shown. Needs psql on PATH. Everything it creates is removed
// afterwards, also on failure or Ctrl-C.
import crypto from "node:crypto";
import net from "node:net";
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

const spec = findSpec("chat");
const clients = Number(process.argv[2] ?? 100);
const rate = Number(process.argv[3] ?? 200);
const seconds = Number(process.argv[4] ?? 10);
const rounds = Number(process.argv[5] ?? 3);
const inRange = (n: number, lo: number, hi: number) => Number.isFinite(n) && n >= lo && n <= hi;
const integers = Number.isInteger(clients) && Number.isInteger(rounds);
if (!integers || !inRange(clients, 1, 10_000) || !inRange(rate, 1, 100_000) || !inRange(seconds, 1, 600) || !inRange(rounds, 1, 50)) {
  console.error("usage: npm run bench:chat -- [clients, 1..10000] [msgs/s, 1..100000] [seconds, 1..600] [rounds, 1..50]");
  process.exit(2);
}
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
const natsUrl = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const baselineSource = path.join(packageRoot, "bench/ws-baseline/main.go.txt");
const runId = crypto.randomBytes(5).toString("hex");
const databases = { auth: `bench_chat_auth_${runId}`, chat: `bench_chat_chat_${runId}` };
const subjectPrefix = `bench_chat_${runId}`;

// Ctrl-C or SIGTERM cancels the step under way; the finally block below still cleans up.
const cancel = cancellation();
const { step } = cancel;

const psql = (sql: string) => execa("psql", [adminUrl, "-v", "ON_ERROR_STOP=1", "-Atc", sql], { cancelSignal: cancel.signal });
const databaseUrl = (name: string) => {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
};

/** The version in the INFO line a NATS server greets a client with. */
function natsVersion(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2000 });
    socket.once("data", (data) => {
      socket.destroy();
      resolve(/"version":"([^"]+)"/.exec(data.toString("utf8"))?.[1] ?? "unknown");
    });
    socket.once("error", () => resolve("unknown"));
    socket.once("timeout", () => {
      socket.destroy();
      resolve("unknown");
    });
  });
}

/** One load test's figures (the JSON line of cmd/loadtest -json), with the servers' CPU. */
interface Run {
  deliveredPerSecond: number;
  expected: number;
  delivered: number;
  lost: number;
  disconnected: number; // clients whose socket the server dropped (a slow consumer) before the end
  p50: number; // milliseconds
  p99: number;
  cpuPer1k: number; // CPU milliseconds the servers spent per 1000 deliveries
  cpuParts: Record<string, number>; // the same, per process
}

interface Contender {
  label: string;
  args: string[]; // where the load test connects
  processes: Record<string, ResultPromise>; // the servers, whose CPU time is counted
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-bench-chat-"));
const dir = path.join(root, "chat");
const bin = path.join(dir, "bin");
const running = new Map<string, ResultPromise>();
const created: string[] = [];
const gatewayUrls: string[] = [];

/** Runs the load test against c for duration seconds. */
async function load(c: Contender, senderRate: number, duration: number): Promise<Run> {
  const cpu = async () => Promise.all(Object.values(c.processes).map((p) => cpuSeconds(p.pid)));
  const before = await cpu();
  // It exits 1, after its report, when the server dropped a client: that run counts, with its drops.
  const { stdout, stderr, exitCode } = await execa(
    path.join(bin, "loadtest"),
    [...c.args, "-clients", String(clients), "-rate", String(rate), "-sender-rate", String(senderRate), "-duration", `${duration}s`, "-json"],
    { cancelSignal: cancel.signal, env: { WS_MESSAGE_RATE: "", GATEWAY_ADDR: "" }, reject: false },
  );
  cancel.signal.throwIfAborted();
  if (!/^\{.*\}$/m.test(stdout)) throw new Error(`the load test against ${c.label} failed (exit ${exitCode}):\n${stderr.slice(-3000)}`);
  if (exitCode !== 0) console.error(`    ${c.label}: ${stderr.trim().split("\n").at(-1)}`);
  const after = await cpu();
  const r = JSON.parse(grab(/^\{.*\}$/m, stdout, "JSON result line")[0]) as {
    delivered_per_second: number;
    expected: number;
    delivered: number;
    lost: number;
    disconnected: number;
    p50_ms: number;
    p99_ms: number;
  };
  const spent = after.map((s, i) => ((s - before[i]!) / r.delivered) * 1e6);
  return {
    deliveredPerSecond: r.delivered_per_second,
    expected: r.expected,
    delivered: r.delivered,
    lost: r.lost,
    disconnected: r.disconnected,
    p50: r.p50_ms,
    p99: r.p99_ms,
    cpuPer1k: spent.reduce((a, b) => a + b, 0),
    cpuParts: Object.fromEntries(Object.keys(c.processes).map((label, i) => [label, spent[i]!])),
  };
}

const show = (r: Run) =>
  `${r.deliveredPerSecond.toFixed(0).padStart(6)} delivered msgs/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  ` +
  `lost ${r.lost} of ${r.expected}${r.disconnected ? ` (${r.disconnected} clients dropped)` : ""}  ${r.cpuPer1k.toFixed(0)} ms server CPU per 1000`;

try {
  if ((await execa("psql", ["--version"], { reject: false })).failed) throw new Error("psql is not on PATH");
  const pg = new URL(adminUrl);
  if (!(await reachable(pg.hostname, Number(pg.port || 5432)))) throw new Error(`PostgreSQL is not reachable at ${adminUrl}`);
  const nats = new URL(natsUrl);
  if (!(await reachable(nats.hostname, Number(nats.port || 4222)))) throw new Error(`NATS is not reachable at ${natsUrl}`);

  step(`generating ${spec.id} into ${dir}`);
  await generateProject(spec, completeAnswers(spec, { name: "chat" }), dir);
  await fs.copy(baselineSource, path.join(dir, "cmd/wsbaseline/main.go"));
  step("building auth, chat, gateway, loadtest and wsbaseline");
  await execa("go", ["build", "-trimpath", "-o", `${bin}/`, "./cmd/..."], { cwd: dir, env: { CGO_ENABLED: "0" }, cancelSignal: cancel.signal });
  const goVersion = (await execa("go", ["env", "GOVERSION"])).stdout.trim();
  const keys = path.join(root, "keys");
  await execa(path.join(bin, "auth"), ["keys", keys], { cancelSignal: cancel.signal });

  step(`creating databases ${databases.auth} and ${databases.chat}`);
  for (const name of Object.values(databases)) {
    await psql(`CREATE DATABASE ${name}`);
    created.push(name);
  }
  const pgVersion = (await psql("SHOW server_version")).stdout.trim();

  // Every variable the generated config reads is set, empty (its default) unless chosen here, so
  // that nothing in the caller's environment changes the run.
  const configSource = await fs.readFile(path.join(dir, "internal/config/config.go"), "utf8");
  const blank = Object.fromEntries([...configSource.matchAll(/env:"([A-Z0-9_]+)/g)].map((m) => [m[1]!, ""]));
  // The load test keeps each sender at 80% of the gateway's per-connection limit, for both.
  const gatewayRate = Number(grab(/env:"WS_MESSAGE_RATE, default=([\d.]+)"/, configSource, "WS_MESSAGE_RATE default")[1]);
  const senderRate = 0.8 * gatewayRate;
  const [authHttp, authGrpc, chatHttp, chatGrpc, gatewayA, gatewayB, baselinePort] = await Promise.all(Array.from({ length: 7 }, freePort));
  const background = { reject: false, all: true, buffer: true, forceKillAfterDelay: 20_000, cancelSignal: cancel.signal } as const;
  const common = { ...blank, NATS_URL: natsUrl, SUBJECT_PREFIX: subjectPrefix };
  const publicKeys = path.join(keys, "jwt-ed25519.pub.pem");
  const start = (label: string, binary: string, env: Record<string, string>, args: string[] = []) => {
    const child = execa(path.join(bin, binary), args, { ...background, env });
    running.set(label, child);
    return child;
  };

  step(`starting auth (:${authGrpc}), chat (:${chatGrpc}) and two gateways (:${gatewayA}, :${gatewayB})`);
  const auth = start("auth", "auth", {
    ...common,
    DATABASE_URL: databaseUrl(databases.auth),
    HTTP_ADDR: `127.0.0.1:${authHttp}`,
    GRPC_ADDR: `127.0.0.1:${authGrpc}`,
    JWT_PRIVATE_KEY_FILE: path.join(keys, "jwt-ed25519.pem"),
  });
  const chat = start("chat", "chat", {
    ...common,
    DATABASE_URL: databaseUrl(databases.chat),
    HTTP_ADDR: `127.0.0.1:${chatHttp}`,
    GRPC_ADDR: `127.0.0.1:${chatGrpc}`,
    JWT_PUBLIC_KEY_FILES: publicKeys,
  });
  await waitFor(`http://127.0.0.1:${authHttp}/readyz`, auth, cancel.signal);
  await waitFor(`http://127.0.0.1:${chatHttp}/readyz`, chat, cancel.signal);
  const gateways = [gatewayA, gatewayB].map((port, i) =>
    start(`gateway ${"AB"[i]}`, "gateway", {
      ...common,
      HTTP_ADDR: `127.0.0.1:${port}`,
      AUTH_TARGET: `dns:///127.0.0.1:${authGrpc}`,
      CHAT_TARGET: `dns:///127.0.0.1:${chatGrpc}`,
      JWT_PUBLIC_KEY_FILES: publicKeys,
    }),
  );
  for (const [i, port] of [gatewayA, gatewayB].entries()) await waitFor(`http://127.0.0.1:${port}/readyz`, gateways[i]!, cancel.signal);
  step(`starting wsbaseline (:${baselinePort})`);
  const baseline = start("wsbaseline", "wsbaseline", {}, ["-addr", `127.0.0.1:${baselinePort}`]);
  await waitFor(`http://127.0.0.1:${baselinePort}/healthz`, baseline, cancel.signal);

  gatewayUrls.push(`http://127.0.0.1:${gatewayA}`, `http://127.0.0.1:${gatewayB}`);
  const ours: Contender = {
    label: "chat",
    args: ["-gateways", gatewayUrls.join(",")],
    processes: { auth, chat, "gateway A": gateways[0]!, "gateway B": gateways[1]! },
  };
  const bare: Contender = {
    label: "bare broadcast",
    // A room of its own each run, as the chat's load test creates one.
    get args() {
      return ["-ws", `ws://127.0.0.1:${baselinePort}/v1/rooms/${crypto.randomBytes(4).toString("hex")}/ws`];
    },
    processes: { wsbaseline: baseline },
  };
  const contenders = [ours, bare];
  const warmUp = Math.min(seconds, 3);
  step(`warm-up: ${warmUp} s each`);
  for (const c of contenders) await load(c, senderRate, warmUp);
  const runs = new Map<string, Run[]>(contenders.map((c) => [c.label, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    step(`round ${round + 1}/${rounds}: ${order.map((c) => c.label).join(", ")}, ${seconds} s each`);
    for (const c of order) {
      const r = await load(c, senderRate, seconds);
      runs.get(c.label)!.push(r);
      console.error(`    ${c.label.padEnd(15)} ${show(r)}`);
    }
  }
  for (const label of [...running.keys()]) await stop(running, label);

  const summary = (label: string) => {
    const rs = runs.get(label)!;
    return {
      deliveredPerSecond: median(rs.map((r) => r.deliveredPerSecond)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      cpuPer1k: median(rs.map((r) => r.cpuPer1k)),
      cpuParts: Object.keys(rs[0]!.cpuParts).map((label) => `${label} ${median(rs.map((r) => r.cpuParts[label]!)).toFixed(1)}`),
      lost: rs.reduce((n, r) => n + r.lost, 0),
      dropped: rs.reduce((n, r) => n + r.disconnected, 0),
      expected: rs.reduce((n, r) => n + r.expected, 0),
    };
  };
  const [o, b] = [summary(ours.label), summary(bare.label)];
  const senders = Math.ceil(rate / senderRate);
  const cpus = os.cpus();
  console.log(
    `chat vs a bare WebSocket broadcast: ${clients} clients in one room, ${rate} msgs/s from ${senders} senders for ${seconds} s ` +
      `(${clients * rate} deliveries/s offered), ${rounds} interleaved rounds, medians: ${goVersion}, node ${process.version}, ` +
      `${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), PostgreSQL ${pgVersion}, nats-server ` +
      `${await natsVersion(nats.hostname, Number(nats.port || 4222))}, load generator on the same machine`,
  );
  const line = (label: string, s: typeof o) =>
    `  ${label.padEnd(52)} ${s.deliveredPerSecond.toFixed(0).padStart(6)} delivered msgs/s  p50 ${s.p50.toFixed(2)} ms  ` +
    `p99 ${s.p99.toFixed(2)} ms  lost ${s.lost} of ${s.expected}${s.dropped ? ` (${s.dropped} clients dropped in all)` : ""}  ` +
    `${s.cpuPer1k.toFixed(0)} ms server CPU per 1000`;
  console.log(line("chat (auth, chat, 2 gateways; PostgreSQL, NATS):", o));
  console.log(line("bare broadcast (1 process, rooms in memory):", b));
  console.log(`    the chat's server CPU per 1000, ms: ${o.cpuParts.join(", ")} (PostgreSQL's and NATS's not counted)`);
  // Each round's own ratios too: the machine's load drifts less within a round than across.
  const [or, br] = [runs.get(ours.label)!, runs.get(bare.label)!];
  const roundRatio = (f: (r: Run) => number) => median(or.map((r, i) => f(r) / f(br[i]!)));
  console.log(
    `  ratios, chat / bare: delivered msgs/s ${(o.deliveredPerSecond / b.deliveredPerSecond).toFixed(3)}×, ` +
      `p50 ${(o.p50 / b.p50).toFixed(2)}×, p99 ${(o.p99 / b.p99).toFixed(2)}×, server CPU per delivery ${(o.cpuPer1k / b.cpuPer1k).toFixed(2)}×; ` +
      `medians of the rounds' own ratios: delivered msgs/s ${roundRatio((r) => r.deliveredPerSecond).toFixed(3)}×, ` +
      `p50 ${roundRatio((r) => r.p50).toFixed(2)}×, p99 ${roundRatio((r) => r.p99).toFixed(2)}×`,
  );
} catch (error) {
  if (!cancel.signal.aborted) process.exitCode = 1;
  console.error(`bench:chat failed: ${error instanceof Error ? error.message : String(error)}`);
  // Sockets a gateway dropped (a slow consumer, a ping timeout) and messages it refused.
  for (const url of gatewayUrls) {
    const metrics = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) }).then((r) => r.text(), () => "");
    const dropped = metrics.split("\n").filter((l) => /^\w+_ws_dropped_total\{/.test(l));
    if (dropped.length) console.error(`--- ${url}: ${dropped.join(", ")}`);
  }
  // What the servers said: a process that exited, or closed sockets, says why.
  for (const [label, child] of running) {
    running.delete(label);
    if (child.exitCode === null) child.kill("SIGTERM");
    const result = await child;
    // Its warnings and errors (a dropped socket is one), else its last lines.
    const lines = String(result.all ?? "").trimEnd().split("\n");
    const notable = lines.filter((l) => /"level":"(WARN|ERROR)"/.test(l));
    console.error(`--- ${label} (exit ${result.exitCode ?? result.signal}):\n${(notable.length ? notable : lines).slice(-15).join("\n")}`);
  }
} finally {
  for (const label of [...running.keys()]) await stop(running, label).catch((e: unknown) => console.error(`stop ${label}: ${String(e)}`));
  const problems: string[] = [];
  for (const name of created) {
    // Its own process group, so that a Ctrl-C on the terminal does not interrupt the cleanup.
    const dropped = await execa("psql", [adminUrl, "-v", "ON_ERROR_STOP=1", "-Atc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], {
      reject: false,
      all: true,
      detached: true,
    });
    if (dropped.exitCode !== 0) problems.push(`drop database ${name}: ${String(dropped.all)}`);
  }
  await fs.remove(root);
  if (problems.length > 0) {
    process.exitCode ||= 1;
    console.error(`cleanup failed:\n${problems.join("\n")}`);
  }
  // Core NATS keeps nothing: the run's subjects (its own SUBJECT_PREFIX) end with their subscribers.
  console.error(`cleaned up: processes stopped, ${created.length ? `databases ${created.join(", ")} dropped, ` : ""}${root} removed`);
}
