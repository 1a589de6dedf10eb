import { randomBytes } from "node:crypto";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";

import { findSpec } from "../../src/specs/catalogue.js";
import { childEnv, services } from "../support/environment.js";
import { generateInto, removeTree } from "../support/generate.js";
import { buildLikeDockerfile, checkNonGoFiles, sh } from "../support/goLadder.js";
import { itClimbsTheGoLadder } from "../support/ladderTests.js";
import { freshDatabase } from "../support/postgres.js";
import { ladderPrerequisites } from "../support/prerequisites.js";
import { freePort, start, terminate, waitFor } from "../support/processes.js";

const spec = findSpec("chat");
const { tools, skipReason } = await ladderPrerequisites(spec);

describe.skipIf(skipReason)("chat, generated and put through the Go ladder", () => {
  let dir: string;

  beforeAll(async () => {
    // A name with a dash: it becomes the JWT issuer and audience, the NATS subject prefix and
    // connection names, and must never reach a metric name.
    ({ dir } = await generateInto("chat", { name: "team-talk", module: "example.com/acme/team-talk" }));
  });
  afterAll(() => dir && removeTree(dir));

  itClimbsTheGoLadder(() => dir, {
    golangciLint: tools.golangciLint,
    govulncheck: spec.tools.govulncheck,
    tags: ["integration"],
    integration: {
      // Each test makes its own test_chat_* database (dropped at its end) and NATS subject prefix.
      against: "PostgreSQL and NATS",
      env: { DATABASE_URL: services.postgres.url, NATS_URL: services.nats.url },
      mustPass: [
        "TestStoreContract", // authpg and chatpg pass the contract the in-memory stores pass
        "TestUpDown", // both schemas' migrations, up and down
        "TestCreateDatabase",
        "TestPublishReachesEverySubscriberOfTheRoomOnly",
        "TestFanOutAcrossGateways", // a client on gateway A receives what a client on gateway B sent
        "TestFeedSurvivesANATSOutage", // NATS cut through a proxy: readiness fails, then recovers, and subscriptions resume
        "TestServiceSurvivesAPostgresOutage", // PostgreSQL cut: calls fail within their deadline, then succeed on the same pool
      ],
      check: (output) => {
        expect(output.match(/--- PASS: TestStoreContract \(/g), "TestStoreContract of authpg and chatpg").toHaveLength(2);
        // run() of the three binaries on real ports, end to end.
        expect(output.match(/--- PASS: TestServe \(/g), "TestServe of cmd/auth, cmd/chat and cmd/gateway").toHaveLength(3);
      },
    },
  });

  it("ships workflows, a Dockerfile, YAML and a Makefile that check out", async () => {
    // The Helm chart's templates are Go templates of YAML: its own checks render them first.
    await checkNonGoFiles(dir, tools.actionlint, { notYaml: ["deploy/helm/*/templates/**"] });
    const help = await sh("make", ["help"], { cwd: dir });
    for (const target of ["run", "run-gateway", "keys", "db", "migrate", "proto", "proto-check", "k8s-tools", "k8s-check", "loadtest", "test-integration", "up-all"]) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${target}\\s`, "m"));
    }
    const workflow = await fs.readFile(path.join(dir, ".github/workflows/proto.yml"), "utf8");
    expect(workflow).toMatch(/^\s+run: make proto-check$/m);
  }, 120_000);

  it("make proto-check passes on the generated repository, and fails once a proto no longer matches internal/gen", async () => {
    const git = (args: string[]) =>
      sh("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
    await git(["init", "--quiet"]);
    await git(["add", "--all"]);
    await git(["commit", "--quiet", "--message", "generated"]);
    try {
      await sh("make", ["--no-print-directory", "proto-check"], { cwd: dir, timeout: 600_000 });
      expect((await git(["status", "--porcelain"])).stdout, "files make proto-check changed").toBe("");

      // A field added to a message without `make proto`: the committed code is stale.
      const proto = path.join(dir, "proto/chat/v1/chat.proto");
      const text = await fs.readFile(proto, "utf8");
      const edited = text.replace(/^message CreateRoomRequest \{\n/m, "$&  string topic = 99;\n");
      expect(edited, "proto/chat/v1/chat.proto has a CreateRoomRequest message to edit").not.toBe(text);
      await fs.writeFile(proto, edited);
      const stale = await execa("make", ["--no-print-directory", "proto-check"], { cwd: dir, env: childEnv(), extendEnv: false, reject: false, all: true });
      expect(stale.exitCode, String(stale.all)).not.toBe(0);
      expect(String(stale.all)).toMatch(/internal\/gen\/chat\/v1\/chat\.pb\.go/);
    } finally {
      await git(["checkout", "--quiet", "--", "."]);
      await git(["clean", "--quiet", "-d", "--force"]);
      await fs.remove(path.join(dir, ".git"));
    }
  }, 900_000);

  it("boots auth, chat and two gateways as processes: register, log in, a room shared across gateways, a slow client dropped without stalling it; SIGTERM stops each with 0", async () => {
    const bin = path.join(dir, "out");
    await buildLikeDockerfile(dir, bin);
    for (const binary of spec.binaries) {
      const file = await execa("file", [path.join(bin, binary)], { reject: false });
      if (file.exitCode === 0) expect(file.stdout).toMatch(/statically linked/);
    }
    const keys = path.join(dir, "e2e-keys");
    await sh(path.join(bin, "auth"), ["keys", keys]);

    const authDb = await freshDatabase("chat_e2e_auth");
    const chatDb = await freshDatabase("chat_e2e_chat");
    const subjectPrefix = `e2e_${randomBytes(6).toString("hex")}`;
    const [authHttp, authGrpc, chatHttp, chatGrpc, httpA, httpB] = [
      await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort(),
    ];
    const common = { LOG_LEVEL: "debug", ADMIN_ADDR: "", SHUTDOWN_TIMEOUT: "10s" };
    const publicKeys = path.join(keys, "jwt-ed25519.pub.pem");
    // Two replicas of the gateway on one NATS subject prefix: what a client sends through one
    // reaches the other's clients. Each drops a client once 1024 frames wait for it (about 4 MiB
    // of the largest messages): room for a healthy client whose reader, this busy process on a
    // loaded machine, falls behind the burst below for a few seconds.
    const gatewayEnv = (port: number, extra: Record<string, string>) => ({
      ...common,
      WS_SEND_QUEUE: "1024",
      HTTP_ADDR: `127.0.0.1:${port}`,
      AUTH_TARGET: `dns:///127.0.0.1:${authGrpc}`,
      CHAT_TARGET: `dns:///127.0.0.1:${chatGrpc}`,
      JWT_PUBLIC_KEY_FILES: publicKeys,
      NATS_URL: services.nats.url,
      SUBJECT_PREFIX: subjectPrefix,
      ...extra,
    });
    const processes: ResultPromise[] = [];
    const sockets: WebSocket[] = [];
    try {
      processes.push(
        start(path.join(bin, "auth"), [], {
          ...common,
          DATABASE_URL: authDb.url,
          HTTP_ADDR: `127.0.0.1:${authHttp}`,
          GRPC_ADDR: `127.0.0.1:${authGrpc}`,
          JWT_PRIVATE_KEY_FILE: path.join(keys, "jwt-ed25519.pem"),
          // The cheapest argon2id the config allows: this test is about the wiring, not the hash.
          ARGON2_MEMORY_KIB: "8192",
          ARGON2_ITERATIONS: "1",
        }),
        start(path.join(bin, "chat"), [], {
          ...common,
          DATABASE_URL: chatDb.url,
          HTTP_ADDR: `127.0.0.1:${chatHttp}`,
          GRPC_ADDR: `127.0.0.1:${chatGrpc}`,
          JWT_PUBLIC_KEY_FILES: publicKeys,
          NATS_URL: services.nats.url,
          SUBJECT_PREFIX: subjectPrefix,
        }),
        start(path.join(bin, "gateway"), [], gatewayEnv(httpA, {})),
        // B's write timeout is long, so that the slow client below is dropped by its queue
        // (counted as slow_consumer), never by a write that timed out first (which no metric
        // counts).
        start(path.join(bin, "gateway"), [], gatewayEnv(httpB, { WS_WRITE_TIMEOUT: "60s" })),
      );
      const [auth, chat, gatewayA, gatewayB] = processes as [ResultPromise, ResultPromise, ResultPromise, ResultPromise];
      const [baseA, baseB] = [httpA, httpB].map((port) => `http://127.0.0.1:${port}`) as [string, string];
      await Promise.all([authHttp, chatHttp].map((port) => waitFor(`http://127.0.0.1:${port}/readyz`, 30_000)));
      // A gateway is ready once both upstreams answer their health service and NATS is connected.
      for (const base of [baseA, baseB]) {
        const ready = await waitFor(`${base}/readyz`, 30_000);
        expect(await ready.json()).toMatchObject({ status: "ready" });
      }

      const credentials = { username: "ada", password: "correct horse battery" };
      expect((await api(baseA, "POST", "/v1/auth/register", credentials)).status).toBe(200);
      expect((await api(baseB, "POST", "/v1/auth/register", credentials)).status, "the same username twice, through the other gateway").toBe(409);
      expect((await api(baseA, "POST", "/v1/auth/login", { ...credentials, password: "wrong" })).status).toBe(401);
      const login = await api(baseA, "POST", "/v1/auth/login", credentials);
      expect(login.status).toBe(200);
      const token = (login.body as { tokens: { accessToken: string } }).tokens.accessToken;
      expect(token.split(".")).toHaveLength(3);
      const bearer = { headers: { Authorization: `Bearer ${token}` } };

      expect((await api(baseA, "POST", "/v1/rooms", { name: "general" })).status, "a room without a token").toBe(401);
      const created = await api(baseA, "POST", "/v1/rooms", { name: "general" }, token);
      expect(created.status).toBe(200);
      const room = (created.body as { room: { id: string } }).room.id;
      expect(room).toBeTruthy();
      const [wsA, wsB] = [httpA, httpB].map((port) => `ws://127.0.0.1:${port}/v1/rooms/${room}/ws`) as [string, string];

      // Refused before the upgrade: no token, and a browser page of another origin.
      expect(await refusedUpgrade(wsA, {})).toBe(401);
      expect(await refusedUpgrade(wsA, { ...bearer, origin: "https://evil.example" })).toBe(403);

      // On A, one socket with the token in a header and one as a browser sends it (the bearer
      // subprotocol); on B, one more.
      const header = await openSocket(wsA, [], bearer);
      const browser = await openSocket(wsA, ["chat.v1", `bearer.${token}`], {});
      const onB = await openSocket(wsB, [], bearer);
      sockets.push(header.socket, browser.socket, onB.socket);
      expect(browser.socket.protocol, "the subprotocol the gateway selects (never the token)").toBe("chat.v1");
      const everyone = [header, browser, onB];

      // Both ways across the gateways: sent over a socket on A, then over the socket on B; each
      // reaches every socket, its sender's included.
      header.socket.send(JSON.stringify({ body: "over the socket on A" }));
      for (const client of everyone) {
        expect(await client.next()).toMatchObject({ type: "message", message: { roomId: room, body: "over the socket on A" } });
      }
      onB.socket.send(JSON.stringify({ body: "over the socket on B" }));
      for (const client of everyone) {
        expect(await client.next()).toMatchObject({ type: "message", message: { roomId: room, body: "over the socket on B" } });
      }
      const sent = await api(baseA, "POST", `/v1/rooms/${room}/messages`, { body: "over REST" }, token);
      expect(sent.status).toBe(200);
      for (const client of everyone) {
        expect(await client.next()).toMatchObject({ type: "message", message: { roomId: room, body: "over REST" } });
      }
      // Counted once each write returns, a moment after the client has the frame: polled.
      let [metricsA, metricsB] = await Promise.all([
        pollMetrics(baseA, (m) => metric(m, "chat_ws_frames_delivered_total") === 6),
        pollMetrics(baseB, (m) => metric(m, "chat_ws_frames_delivered_total") === 3),
      ]);
      expect(metricsA).toMatch(/^chat_ws_connections 2$/m);
      expect(metricsA, "3 messages to 2 sockets on A").toMatch(/^chat_ws_frames_delivered_total 6$/m);
      expect(metricsB).toMatch(/^chat_ws_connections 1$/m);
      expect(metricsB, "3 messages to 1 socket on B").toMatch(/^chat_ws_frames_delivered_total 3$/m);

      const history = await api(baseB, "GET", `/v1/rooms/${room}/messages?page_size=10`, undefined, token);
      expect((history.body as { messages: { body: string }[] }).messages.map((m) => m.body)).toEqual([
        "over REST",
        "over the socket on B",
        "over the socket on A",
      ]);

      // A slow client on B: it stops reading (pause() stops reading the TCP socket), so once the
      // kernel's buffers are full the gateway's writes to it block and its send queue fills.
      const slow = await openSocket(wsB, [], bearer);
      sockets.push(slow.socket);
      await pollMetrics(baseB, (m) => metric(m, "chat_ws_connections") === 2);
      slow.socket.pause();

      // The burst: messages of the largest size the chat service takes, over REST (no
      // per-connection rate limit), from 4 senders in parallel through both gateways, each sending
      // in order. It goes on until B reports the slow client dropped (bounded: 32 MiB, far more
      // than a loopback connection buffers and the queue hold), then 40 messages more: the room
      // after the drop.
      const burstCap = 32 << 20;
      const tail = 40;
      let burstBytes = 0;
      const answeredAt = new Map<string, number>(); // when the chat service had stored and published it
      let droppedSeen = false;
      let sending = true;
      const watcher = (async () => {
        while (sending && !droppedSeen) {
          const text = await (await fetch(`${baseB}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
          if ((metric(text, 'chat_ws_dropped_total{reason="slow_consumer"}') ?? 0) >= 1) droppedSeen = true;
          else await new Promise((r) => setTimeout(r, 100));
        }
      })().catch((error: unknown) => error);
      const burstBegun = Date.now();
      const sentBy = await Promise.all(
        [baseA, baseB, baseA, baseB].map(async (base, sender) => {
          const labels: string[] = [];
          for (let after = 0; droppedSeen ? after++ < tail : burstBytes < burstCap; ) {
            const label = `${sender}.${labels.length}`;
            const response = await api(base, "POST", `/v1/rooms/${room}/messages`, { body: `burst ${label} `.padEnd(MAX_MESSAGE_BYTES, "x") }, token);
            if (response.status !== 200) throw new Error(`burst message ${label}: HTTP ${response.status} ${JSON.stringify(response.body)}`);
            answeredAt.set(label, Date.now());
            labels.push(label);
            burstBytes += MAX_MESSAGE_BYTES;
          }
          return labels;
        }),
      ).finally(() => (sending = false));
      const watchFailure = await watcher;
      if (watchFailure) throw watchFailure;
      const burstSent = Date.now() - burstBegun;
      const burst = sentBy.flat();
      const burstInfo = `${burst.length} messages (${(burstBytes / 2 ** 20).toFixed(1)} MiB) sent in ${burstSent} ms`;

      // The room did not stall: every healthy socket, on either gateway, has every message of the
      // burst, each within 10 s of its sending (the gateway's writes to the slow client block for
      // up to its 60 s write timeout: a room waiting on them would show), in one order (the
      // order NATS delivered them in) that keeps each sender's.
      const burstFrames = (client: Client) =>
        client.frames.flatMap((f, i) => {
          const body = (f as { message?: { body?: string } }).message?.body ?? "";
          return body.startsWith("burst ") ? [{ label: body.split(" ")[1]!, at: client.receivedAt[i]! }] : [];
        });
      const received = (client: Client) => burstFrames(client).map((f) => f.label);
      const deadline = Date.now() + 30_000;
      const waitingOn = (client: Client) => client.socket.readyState === WebSocket.OPEN && received(client).length < burst.length;
      while (everyone.some(waitingOn) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const [i, client] of everyone.entries()) {
        expect(client.socket.readyState, `healthy socket ${i} still open (closed with ${client.closeCode()}; ${burstInfo})`).toBe(WebSocket.OPEN);
      }
      const orders = everyone.map(received);
      for (const [i, order] of orders.entries()) {
        expect(order.length, `burst messages socket ${i} received within 30 s of the burst (${burstInfo})`).toBe(burst.length);
      }
      expect(orders[1], "one order on every socket").toEqual(orders[0]);
      expect(orders[2], "one order on every socket").toEqual(orders[0]);
      expect([...orders[0]!].sort(), "each message once").toEqual([...burst].sort());
      for (const [sender, labels] of sentBy.entries()) {
        expect(orders[0]!.filter((l) => l.startsWith(`${sender}.`)), `sender ${sender}'s order`).toEqual(labels);
      }
      for (const [i, client] of everyone.entries()) {
        const lag = Math.max(...burstFrames(client).map((f) => f.at - answeredAt.get(f.label)!));
        expect(lag, `the longest a burst message took to reach socket ${i} after it was sent, in ms (${burstInfo})`).toBeLessThan(10_000);
      }
      expect(droppedSeen, `B dropped no slow consumer after ${burstInfo}`).toBe(true);

      // Dropped: once it reads again, the slow client gets what was buffered for it (the
      // beginning of the same order), then its connection ends.
      slow.socket.resume();
      const slowCode = await within(slow.closed, 15_000, "the slow client's connection to end after the drop");
      // 1008 (policy violation) once the close frame gets through; 1006 if the gateway ends the
      // connection without one, as it may while its write to the client is blocked.
      expect([1006, 1008], `the slow client's close code ${slowCode}`).toContain(slowCode);
      const slowOrder = received(slow);
      expect(slowOrder.length, "the slow client received part of the burst, not all of it").toBeLessThan(burst.length);
      expect(slowOrder, "what the slow client received, in order").toEqual(orders[0]!.slice(0, slowOrder.length));

      [metricsA, metricsB] = await Promise.all([
        pollMetrics(baseA, (m) => metric(m, "chat_ws_frames_delivered_total") === 6 + 2 * burst.length),
        pollMetrics(baseB, (m) => metric(m, "chat_ws_connections") === 1 && (metric(m, "chat_ws_frames_delivered_total") ?? 0) >= 3 + burst.length + slowOrder.length),
      ]);
      expect(metric(metricsB, 'chat_ws_dropped_total{reason="slow_consumer"}'), "B dropped the slow client, once").toBe(1);
      expect(metric(metricsB, "chat_ws_connections"), "the slow client is gone from B").toBe(1);
      expect(metric(metricsB, "chat_ws_frames_delivered_total"), "frames B wrote").toBeGreaterThanOrEqual(3 + burst.length + slowOrder.length);
      expect(metric(metricsA, 'chat_ws_dropped_total{reason="slow_consumer"}') ?? 0, "A dropped no one").toBe(0);
      expect(metric(metricsA, "chat_ws_connections")).toBe(2);
      expect(metric(metricsA, "chat_ws_frames_delivered_total"), "the burst to 2 sockets on A").toBe(6 + 2 * burst.length);

      // SIGTERM on A: its sockets get 1001 (reconnect elsewhere) and it exits 0; B still serves the room.
      const closesA = [header, browser].map((client) => client.closed);
      const stoppedA = await terminate(gatewayA);
      expect(stoppedA.exitCode, stoppedA.output).toBe(0);
      for (const code of await Promise.all(closesA)) expect(code).toBe(1001);
      expect((await api(baseB, "POST", `/v1/rooms/${room}/messages`, { body: "after A stopped" }, token)).status).toBe(200);
      await receivedBody(onB, "after A stopped");

      // Then on B, and the services: each exits 0.
      const closesB = [onB.closed];
      const stoppedB = await terminate(gatewayB);
      expect(stoppedB.exitCode, stoppedB.output).toBe(0);
      for (const code of await Promise.all(closesB)) expect(code).toBe(1001);
      for (const child of [chat, auth]) {
        const stopped = await terminate(child);
        expect(stopped.exitCode, stopped.output).toBe(0);
        expect(stopped.ms).toBeLessThan(10_000);
      }
    } finally {
      for (const socket of sockets) socket.terminate();
      for (const child of processes) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await child;
      }
      await authDb.drop();
      await chatDb.drop();
    }
  }, 600_000);
});

/** The largest message body the chat service takes (chat.MaxMessageBytes). */
const MAX_MESSAGE_BYTES = 4096;

async function api(base: string, method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** A sample's value in a Prometheus text exposition, e.g. metric(text, 'x_total{reason="a"}'). */
function metric(text: string, sample: string): number | undefined {
  const escaped = sample.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`^${escaped} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The gateway's /metrics once ok(text) holds, or the last one after 15 s (the caller's expects say what is wrong). */
async function pollMetrics(base: string, ok: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  let text = "";
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    text = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    if (ok(text)) break;
  }
  return text;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`waited ${ms} ms for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits until the client has received a message with this body. */
async function receivedBody(client: Client, body: string, timeoutMs = 10_000): Promise<void> {
  const has = () => client.frames.some((f) => (f as { message?: { body?: string } }).message?.body === body);
  for (const deadline = Date.now() + timeoutMs; !has(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > deadline) throw new Error(`no message "${body}" within ${timeoutMs} ms`);
  }
}

interface Client {
  socket: WebSocket;
  /** The next frame, parsed; fails after 10 s. */
  next: () => Promise<unknown>;
  /** Every frame received so far, parsed, in order (next() does not remove them). */
  frames: unknown[];
  /** When each frame arrived (Date.now()). */
  receivedAt: number[];
  /** The close code the server sent (1006: the connection ended without a close frame). */
  closed: Promise<number>;
  /** The close code, once closed. */
  closeCode: () => number | undefined;
}

/** Opens a socket and keeps every frame it receives, so that none is missed between reads. */
function openSocket(url: string, protocols: string[], options: WebSocket.ClientOptions): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols, options);
    const frames: unknown[] = [];
    const receivedAt: number[] = [];
    let read = 0;
    const waiting: (() => void)[] = [];
    socket.on("message", (data: Buffer) => {
      frames.push(JSON.parse(data.toString("utf8")) as unknown);
      receivedAt.push(Date.now());
      waiting.shift()?.();
    });
    let closeCode: number | undefined;
    const closed = new Promise<number>((done) =>
      socket.on("close", (code) => {
        closeCode = code;
        done(code);
      }),
    );
    const next = () =>
      new Promise<unknown>((done, fail) => {
        if (read < frames.length) return done(frames[read++]);
        const timer = setTimeout(() => fail(new Error(`no frame on ${url} within 10 s`)), 10_000);
        waiting.push(() => {
          clearTimeout(timer);
          done(frames[read++]);
        });
      });
    socket.once("open", () => {
      // From here on a failure shows as the close code.
      socket.on("error", () => {});
      resolve({ socket, next, frames, receivedAt, closed, closeCode: () => closeCode });
    });
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => reject(new Error(`${url}: HTTP ${response.statusCode} instead of the upgrade`)));
  });
}

/** The HTTP status the gateway answers an upgrade it refuses with. */
function refusedUpgrade(url: string, options: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once("unexpected-response", (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once("open", () => {
      socket.terminate();
      reject(new Error(`${url}: upgraded, but should have been refused`));
    });
    socket.once("error", (error) => reject(error));
  });
}
