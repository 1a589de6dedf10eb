import { randomBytes } from "node:crypto";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { findSpec } from "../../src/specs/catalogue.js";
import { childEnv, services } from "../support/environment.js";
import { generateInto, removeTree } from "../support/generate.js";
import { buildLikeDockerfile, checkNonGoFiles, sh } from "../support/goLadder.js";
import { itClimbsTheGoLadder } from "../support/ladderTests.js";
import { freshDatabase } from "../support/postgres.js";
import { ladderPrerequisites } from "../support/prerequisites.js";
import { freePort, start, terminate, waitFor } from "../support/processes.js";

const spec = findSpec("ecommerce");
const { tools, skipReason } = await ladderPrerequisites(spec);

describe.skipIf(skipReason)("ecommerce, generated and put through the Go ladder", () => {
  let dir: string;

  beforeAll(async () => {
    // A name with a dash: it becomes the JWT issuer and audience and the RabbitMQ name prefix,
    // and must never reach a metric name.
    ({ dir } = await generateInto("ecommerce", { name: "shop-front", module: "example.com/acme/shop-front", options: { lowStockThreshold: 3 } }));
  });
  afterAll(() => dir && removeTree(dir));

  itClimbsTheGoLadder(() => dir, {
    golangciLint: tools.golangciLint,
    govulncheck: spec.tools.govulncheck,
    tags: ["integration"],
    integration: {
      // Each test makes its own test_ecommerce_* database (dropped at its end) and its own
      // RabbitMQ exchange and queue names (deleted at its end).
      against: "PostgreSQL and RabbitMQ",
      env: { DATABASE_URL: services.postgres.url, AMQP_URL: services.rabbitmq.url },
      mustPass: [
        "TestMigrationsMatchEntSchema", // the goose migrations are what Ent's schema diff gives
        "TestUpDown",
        "TestLastUnitFiftyBuyers", // 50 concurrent buyers of the last unit: one order, stock 0
        "TestConsumerKilledMidMessage", // redelivered to another consumer, its effect applied once
        "TestOrdersCommitWhileRabbitMQIsCut", // orders commit, events wait in the outbox, then each is processed once
        "TestRelaySurvivesABrokerOutage",
        "TestCatalogWriteAfterAnOrderIsRefused", // an admin's PUT with an ETag an order made stale: 412, the stock kept
        "TestOpenAPIDocumentIsValid", // kin-openapi validates the document
        "TestRoutesMatchDocument", // every route Echo registers is an operation of the document, and vice versa
        "TestServe", // the api's run() end to end on real ports
      ],
    },
  });

  it("ships workflows, a Dockerfile, YAML and a Makefile that check out", async () => {
    await checkNonGoFiles(dir, tools.actionlint);
    const help = await sh("make", ["help"], { cwd: dir });
    for (const target of ["run", "db", "migrate", "promote", "generate", "generate-check", "loadtest", "test-integration", "up-all"]) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${target}\\s`, "m"));
    }
    const workflow = await fs.readFile(path.join(dir, ".github/workflows/generate.yml"), "utf8");
    expect(workflow).toMatch(/^\s+run: make generate-check$/m);
  }, 120_000);

  it("make generate-check passes on the generated repository, and fails once the Ent schema no longer matches ent/", async () => {
    const git = (args: string[]) =>
      sh("git", ["-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: dir });
    await git(["init", "--quiet"]);
    await git(["add", "--all"]);
    await git(["commit", "--quiet", "--message", "generated"]);
    try {
      await sh("make", ["--no-print-directory", "generate-check"], { cwd: dir, timeout: 600_000 });
      expect((await git(["status", "--porcelain"])).stdout, "files make generate-check changed").toBe("");

      // A field added to the schema without `make generate`: the committed ent/ is stale.
      const schema = path.join(dir, "ent/schema/customer.go");
      const text = await fs.readFile(schema, "utf8");
      const edited = text.replace(/field\.String\("name"\)/, 'field.String("nickname").Optional(),\n\t\t$&');
      expect(edited, "ent/schema/customer.go has a name field to put one beside").not.toBe(text);
      await fs.writeFile(schema, edited);
      const stale = await execa("make", ["--no-print-directory", "generate-check"], { cwd: dir, env: childEnv(), extendEnv: false, reject: false, all: true });
      expect(stale.exitCode, String(stale.all)).not.toBe(0);
      expect(String(stale.all)).toMatch(/ent\/customer\.go/);
    } finally {
      await git(["checkout", "--quiet", "--", "."]);
      await git(["clean", "--quiet", "-d", "--force"]);
      await fs.remove(path.join(dir, ".git"));
    }
  }, 900_000);

  it("make db, then make run from one .env: api and worker on their own addresses confirm an order, and Ctrl-C stops both quietly", async () => {
    const dbName = `ecommerce_run_${randomBytes(6).toString("hex")}`;
    const prefix = `e2e-run-${randomBytes(6).toString("hex")}`;
    const [apiPort, workerPort, apiAdmin, workerAdmin] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const databaseUrl = `postgres://postgres@127.0.0.1:5432/${dbName}?sslmode=disable`;
    // .env.example as a user without Docker fills it in: the services they run, free ports.
    const env = (await fs.readFile(path.join(dir, ".env.example"), "utf8"))
      .replace(/^DATABASE_URL=.*$/m, `DATABASE_URL=${databaseUrl}`)
      .replace(/^AMQP_URL=.*$/m, `AMQP_URL=${services.rabbitmq.url}`)
      .replace(/^# AMQP_PREFIX=.*$/m, `AMQP_PREFIX=${prefix}`)
      .replace(/^API_ADDR=.*$/m, `API_ADDR=127.0.0.1:${apiPort}`)
      .replace(/^WORKER_ADDR=.*$/m, `WORKER_ADDR=127.0.0.1:${workerPort}`)
      .replace(/^# API_ADMIN_ADDR=.*$/m, `API_ADMIN_ADDR=127.0.0.1:${apiAdmin}`)
      .replace(/^# WORKER_ADMIN_ADDR=.*$/m, `WORKER_ADMIN_ADDR=127.0.0.1:${workerAdmin}`)
      .replace(/^RETRY_DELAY=.*$/m, "RETRY_DELAY=200ms");
    await fs.writeFile(path.join(dir, ".env"), env);
    const make = (args: string[]) => execa("make", ["--no-print-directory", ...args], { cwd: dir, env: childEnv(), extendEnv: false, reject: false, all: true });
    let run: ResultPromise | undefined;
    try {
      const db = await make(["db"]);
      expect(db.exitCode, String(db.all)).toBe(0);
      expect(String(db.all)).toMatch(new RegExp(`created database ${dbName}`));
      // The migrations are what Ent's schema diff gives: nothing to add.
      const migrationCheck = await make(["migration-check"]);
      expect(migrationCheck.exitCode, String(migrationCheck.all)).toBe(0);
      // Its own process group, as a terminal's foreground job: Ctrl-C reaches make and both binaries.
      run = execa("make", ["--no-print-directory", "run"], { cwd: dir, env: childEnv(), extendEnv: false, reject: false, all: true, detached: true });
      const base = `http://127.0.0.1:${apiPort}`;
      await Promise.all([waitFor(`${base}/readyz`, 240_000), waitFor(`http://127.0.0.1:${workerPort}/readyz`, 240_000)]);

      const admin = { email: "owner@example.com", name: "Owner", password: "correct horse battery" };
      expect((await call(base, "POST", "/v1/auth/register", admin)).status).toBe(201);
      const promoted = await make(["promote", `EMAIL=${admin.email}`]);
      expect(promoted.exitCode, String(promoted.all)).toBe(0);
      const token = await login(base, admin);
      const product = await call(base, "POST", "/v1/products", { sku: "CAP-1", name: "Cap", description: "", price_cents: 900, stock: 10 }, token);
      expect(product.status).toBe(201);
      const placed = await call(base, "POST", "/v1/orders", { items: [{ product_id: (product.body as { id: string }).id, quantity: 1 }] }, token);
      expect(placed.status).toBe(201);
      const orderId = (placed.body as { id: string }).id;
      await until(async () => ((await call(base, "GET", `/v1/orders/${orderId}`, undefined, token)).body as { status: string }).status === "confirmed", 30_000, "the order confirmed by the worker");

      process.kill(-run.pid!, "SIGINT");
      const stopped = await run;
      const output = String(stopped.all);
      expect(stopped.exitCode === 0 || stopped.signal === "SIGINT", `make run after Ctrl-C: ${stopped.exitCode ?? stopped.signal}\n${output}`).toBe(true);
      expect(output).not.toMatch(/\*\*\*|Error \d+/);
      // Each binary stops its server and its pprof listener.
      expect(output.match(/"msg":"http server stopped"/g), "both binaries stopped both their servers").toHaveLength(4);
    } finally {
      if (run && run.exitCode === null && run.signalCode === null) process.kill(-run.pid!, "SIGKILL");
      await run;
      await fs.remove(path.join(dir, ".env"));
      await execa(path.join(dir, "bin", "worker"), ["teardown"], { env: childEnv({ AMQP_URL: services.rabbitmq.url, AMQP_PREFIX: prefix }), extendEnv: false, reject: false });
      await execa("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c", `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`], { reject: false });
    }
  }, 600_000);

  it("boots api and worker as processes: an admin's product, the last units sold once, orders confirmed by the worker across a kill -9; SIGTERM stops both with 0", async () => {
    const bin = path.join(dir, "out");
    await buildLikeDockerfile(dir, bin);
    for (const binary of spec.binaries) {
      const file = await execa("file", [path.join(bin, binary)], { reject: false });
      if (file.exitCode === 0) expect(file.stdout).toMatch(/statically linked/);
    }
    const db = await freshDatabase("ecommerce_e2e");
    const prefix = `e2e-${randomBytes(6).toString("hex")}`;
    const [apiPort, workerPort] = [await freePort(), await freePort()];
    const common = { LOG_LEVEL: "debug", ADMIN_ADDR: "", SHUTDOWN_TIMEOUT: "10s", DATABASE_URL: db.url };
    const apiEnv = {
      ...common,
      HTTP_ADDR: `127.0.0.1:${apiPort}`,
      JWT_SECRET: randomBytes(32).toString("hex"),
      // The cheapest argon2id the config allows: this test is about the wiring, not the hash.
      ARGON2_MEMORY_KIB: "8192",
      ARGON2_ITERATIONS: "1",
    };
    const workerEnv = { ...common, HTTP_ADDR: `127.0.0.1:${workerPort}`, AMQP_URL: services.rabbitmq.url, AMQP_PREFIX: prefix, RETRY_DELAY: "200ms" };
    const base = `http://127.0.0.1:${apiPort}`;
    const processes: ResultPromise[] = [];
    const psql = async (sql: string) => {
      const { stdout } = await sh("psql", ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", db.url, "-c", sql]);
      return String(stdout).trim();
    };
    try {
      await sh(path.join(bin, "api"), ["migrate", "up"], { env: childEnv(common) });
      const api = start(path.join(bin, "api"), [], apiEnv);
      let worker = start(path.join(bin, "worker"), [], workerEnv);
      processes.push(api, worker);
      await waitFor(`${base}/readyz`, 30_000);
      await waitFor(`http://127.0.0.1:${workerPort}/readyz`, 30_000);

      // Accounts: a customer, and one made admin by the promote command.
      const admin = { email: "Admin@Example.com", name: "Ada", password: "correct horse battery" };
      const buyer = { email: "buyer@example.com", name: "Bo", password: "another good passphrase" };
      for (const account of [admin, buyer]) expect((await call(base, "POST", "/v1/auth/register", account)).status).toBe(201);
      expect((await call(base, "POST", "/v1/auth/register", { ...buyer, email: "BUYER@example.com" })).status, "the same email in other case").toBe(409);
      await sh(path.join(bin, "api"), ["promote", "admin@example.com"], { env: childEnv(common) });
      const adminToken = await login(base, admin);
      const buyerToken = await login(base, buyer);

      // The catalogue: only an admin creates; anyone lists; ETags.
      const newProduct = { sku: "MUG-1", name: "Gopher mug", description: "ceramic", price_cents: 1299, stock: 5 };
      expect((await call(base, "POST", "/v1/products", newProduct)).status).toBe(401);
      expect((await call(base, "POST", "/v1/products", newProduct, buyerToken)).status).toBe(403);
      const created = await call(base, "POST", "/v1/products", newProduct, adminToken);
      expect(created.status).toBe(201);
      expect(created.contentType).toMatch(/^application\/json/);
      const mug = created.body as { id: string; version: number };
      const etag = created.headers.get("etag");
      expect(etag).toBeTruthy();
      const cached = await fetch(`${base}/v1/products/${mug.id}`, { headers: { "if-none-match": etag! }, signal: AbortSignal.timeout(10_000) });
      expect(cached.status).toBe(304);
      const listed = await call(base, "GET", "/v1/products?limit=10&sort=price");
      expect((listed.body as { items: { sku: string }[] }).items.map((p) => p.sku)).toEqual(["MUG-1"]);
      const problem = await call(base, "GET", "/v1/products?limit=1000");
      expect(problem.status).toBe(400);
      expect(problem.contentType).toMatch(/^application\/problem\+json/);

      // The last 5 units, 20 buyers at once: exactly 5 orders, the rest 409, stock 0.
      const attempts = await Promise.all(
        Array.from({ length: 20 }, () => call(base, "POST", "/v1/orders", { items: [{ product_id: mug.id, quantity: 1 }] }, buyerToken)),
      );
      const statuses = attempts.map((a) => a.status).sort();
      expect(statuses.filter((s) => s === 201), JSON.stringify(attempts.map((a) => a.body))).toHaveLength(5);
      expect(statuses.filter((s) => s === 409)).toHaveLength(15);
      expect(await psql(`SELECT quantity FROM stock WHERE product_id = '${mug.id}'`)).toBe("0");
      const sold = attempts.filter((a) => a.status === 201).map((a) => (a.body as { id: string }).id);

      // Idempotency-Key: a retry gives the same order; the key with other items is 409.
      const pen = await call(base, "POST", "/v1/products", { sku: "PEN-1", name: "Gopher pen", description: "", price_cents: 250, stock: 500 }, adminToken);
      const penId = (pen.body as { id: string }).id;
      const keyed = { "idempotency-key": "e2e-1" };
      const first = await call(base, "POST", "/v1/orders", { items: [{ product_id: penId, quantity: 2 }] }, buyerToken, keyed);
      const again = await call(base, "POST", "/v1/orders", { items: [{ product_id: penId, quantity: 2 }] }, buyerToken, keyed);
      expect(first.status).toBe(201);
      expect((again.body as { id: string }).id).toBe((first.body as { id: string }).id);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect((await call(base, "POST", "/v1/orders", { items: [{ product_id: penId, quantity: 3 }] }, buyerToken, keyed)).status).toBe(409);
      sold.push((first.body as { id: string }).id);

      // The worker confirms every order through RabbitMQ.
      await until(async () => Number(await psql("SELECT count(*) FROM order_confirmations")) === sold.length, 30_000, "the first orders confirmed");
      const order = await call(base, "GET", `/v1/orders/${sold[0]}`, undefined, buyerToken);
      expect(order.body).toMatchObject({ status: "confirmed" });
      expect((await call(base, "GET", `/v1/orders/${sold[0]}`, undefined, adminToken)).status, "an admin sees any order").toBe(200);
      expect(Number(await psql(`SELECT count(*) FROM stock_alerts WHERE product_id = '${mug.id}'`)), "the mug fell below 3 once").toBe(1);

      // kill -9 on the worker while orders flow, then a new worker: every order is confirmed,
      // each once, and the outbox drains.
      const flow = Promise.all(
        Array.from({ length: 8 }, async () => {
          const ids: string[] = [];
          for (let i = 0; i < 15; i++) {
            const placed = await call(base, "POST", "/v1/orders", { items: [{ product_id: penId, quantity: 1 }] }, buyerToken);
            expect(placed.status).toBe(201);
            ids.push((placed.body as { id: string }).id);
          }
          return ids;
        }),
      );
      await until(async () => Number(await psql("SELECT count(*) FROM order_confirmations")) > sold.length + 10, 30_000, "the worker confirming the flow");
      worker.kill("SIGKILL");
      const killed = await worker;
      expect(killed.signal, String(killed.all)).toBe("SIGKILL");
      sold.push(...(await flow).flat());
      worker = start(path.join(bin, "worker"), [], workerEnv);
      processes.push(worker);
      await until(async () => Number(await psql("SELECT count(*) FROM order_confirmations")) === sold.length, 60_000, "every order confirmed after the restart");
      expect(await psql("SELECT count(*) FROM orders WHERE status <> 'confirmed'")).toBe("0");
      expect(await psql("SELECT count(*) FROM outbox_events WHERE published_at IS NULL")).toBe("0");
      expect(await psql("SELECT count(*) - count(DISTINCT (message_id, consumer)) FROM processed_messages")).toBe("0");

      // The document and its UI, served offline.
      const doc = (await call(base, "GET", "/openapi.json")).body as { openapi: string; paths: Record<string, unknown> };
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toContain("/orders");
      const ui = await fetch(`${base}/swagger/`, { signal: AbortSignal.timeout(10_000) });
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/swagger/i);

      // Metrics names carry no dash, whatever the project's name.
      const metrics = await (await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
      expect(metrics).toMatch(/^shop_front_/m);

      for (const child of [worker, api]) {
        const stopped = await terminate(child);
        expect(stopped.exitCode, stopped.output).toBe(0);
        expect(stopped.ms).toBeLessThan(10_000);
      }
    } finally {
      for (const child of processes) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await child;
      }
      await execa(path.join(bin, "worker"), ["teardown"], { env: childEnv(workerEnv), extendEnv: false, reject: false });
      await db.drop();
    }
  }, 600_000);
});

interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
  contentType: string;
}

async function call(base: string, method: string, route: string, body?: unknown, token?: string, extra: Record<string, string> = {}): Promise<Answer> {
  const headers: Record<string, string> = { "content-type": "application/json", ...extra };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers, contentType: response.headers.get("content-type") ?? "" };
}

async function login(base: string, account: { email: string; password: string }): Promise<string> {
  const answer = await call(base, "POST", "/v1/auth/login", { email: account.email, password: account.password });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return (answer.body as { access_token: string }).access_token;
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    if (await check()) return;
  }
  throw new Error(`waited ${timeoutMs} ms for ${what}`);
}
