import { randomBytes } from "node:crypto";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { findSpec } from "../../src/specs/catalogue.js";
import { childEnv, services } from "../support/environment.js";
import { generateInto, removeTree } from "../support/generate.js";
import { buildLikeDockerfile, checkNonGoFiles, expectTidyNoop, raceTests, vet } from "../support/goLadder.js";
import { freshDatabase } from "../support/postgres.js";
import { itClimbsTheGoLadder } from "../support/ladderTests.js";
import { ladderPrerequisites } from "../support/prerequisites.js";
import { freshKeyPrefix } from "../support/redis.js";
import { expectNoReachableVulnerabilities } from "../support/vulncheck.js";
import { freePort, start, terminate, waitFor } from "../support/processes.js";

const spec = findSpec("url-shortener");

const createLink = (base: string, url: string) =>
  fetch(`${base}/api/v1/links`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ url }) });
const { tools, skipReason } = await ladderPrerequisites(spec);

describe.skipIf(skipReason)("url-shortener, generated and put through the Go ladder", () => {
  let dir: string;

  beforeAll(async () => {
    ({ dir } = await generateInto("url-shortener", { name: "shortener", module: "example.com/acme/shortener" }));
  });
  afterAll(() => dir && removeTree(dir));

  itClimbsTheGoLadder(() => dir, {
    golangciLint: tools.golangciLint,
    govulncheck: spec.tools.govulncheck,
    tags: ["integration"],
    integration: {
      against: "PostgreSQL and Redis",
      env: { DATABASE_URL: services.postgres.url, REDIS_URL: services.redis.url },
      mustPass: [
        "TestIntegrationCreateRedirectStats", // create → redirect → stats, cache hits
        "TestIntegrationRedisUnavailable", // Redis down → still redirects
        "TestIntegrationPostgresUnavailable", // PostgreSQL cut → links created before still redirect (write-through)
        "TestCache",
        "TestUpDown",
        "TestRepository",
        "TestRunEndToEnd",
      ],
    },
  });

  it("ships a workflow, Dockerfile, YAML and Makefile that check out", () => checkNonGoFiles(dir, tools.actionlint), 120_000);

  it("builds as the Dockerfile does, boots, redirects, and stops cleanly on SIGTERM", async () => {
    const bin = path.join(dir, "out");
    await buildLikeDockerfile(dir, bin);
    const file = await execa("file", [path.join(bin, "shortener")], { reject: false });
    if (file.exitCode === 0) expect(file.stdout).toMatch(/statically linked/);

    const db = await freshDatabase("shortener_boot");
    const { prefix, cleanup: deleteKeys } = freshKeyPrefix("boot");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const app = start(path.join(bin, "shortener"), [], {
      HTTP_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: db.url,
      REDIS_URL: services.redis.url,
      REDIS_KEY_PREFIX: prefix,
      BASE_URL: base,
      LOG_LEVEL: "debug",
    });
    try {
      await waitFor(`${base}/healthz`);

      const created = await createLink(base, "https://go.dev/doc/effective_go");
      expect(created.status).toBe(201);
      const link = (await created.json()) as { code: string; short_url: string };
      expect(link.short_url).toBe(`${base}/${link.code}`);

      const redirect = await fetch(`${base}/${link.code}`, { redirect: "manual" });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get("location")).toBe("https://go.dev/doc/effective_go");
      expect((await fetch(`${base}/nope404`, { redirect: "manual" })).status).toBe(404);

      const ready = await fetch(`${base}/readyz`);
      expect(ready.status, await ready.clone().text()).toBe(200);
      expect(await ready.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });

      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/^shortener_http_requests_total\{/m);
      expect(metrics).toMatch(/^shortener_redirects_total/m);
    } finally {
      const stopped = await terminate(app);
      expect(stopped.exitCode, stopped.output).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
      await db.drop();
      await deleteKeys();
    }
  }, 300_000);
});

describe.skipIf(skipReason)("url-shortener with non-default options", () => {
  let dir: string;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    ({ dir } = await generateInto("url-shortener", {
      name: "tiny-links",
      module: "github.com/acme/tiny-links/v2",
      options: { httpPort: port, codeLength: 11 },
    }));
  });
  afterAll(() => dir && removeTree(dir));

  it("vets, passes the option-sensitive unit tests, and listens where the option says", async () => {
    await expectTidyNoop(dir);
    await vet(dir);
    await raceTests(dir, {}, []);
    await expectNoReachableVulnerabilities(dir, spec.tools.govulncheck);
    const bin = path.join(dir, "out");
    await buildLikeDockerfile(dir, bin);
    const db = await freshDatabase("tiny_boot");
    const { prefix, cleanup: deleteKeys } = freshKeyPrefix("tiny");
    const app = start(path.join(bin, "tiny-links"), [], {
      DATABASE_URL: db.url,
      REDIS_URL: services.redis.url,
      REDIS_KEY_PREFIX: prefix,
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      await waitFor(`${base}/healthz`);
      const created = await createLink(base, "https://pkg.go.dev/");
      expect(created.status).toBe(201);
      const { code, short_url } = (await created.json()) as { code: string; short_url: string };
      expect(code).toHaveLength(11);
      expect(short_url).toBe(`http://localhost:${port}/${code}`);
      // Metrics are named after the project: dashes become underscores.
      expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^tiny_links_http_requests_total\{/m);
    } finally {
      const stopped = await terminate(app);
      expect(stopped.exitCode, stopped.output).toBe(0);
      await db.drop();
      await deleteKeys();
    }
  }, 900_000);
});

describe.skipIf(skipReason)("url-shortener, first run without Docker as the next steps print it", () => {
  let dir: string;

  beforeAll(async () => {
    const generated = await generateInto("url-shortener", { name: "first-links" });
    // A clone under another folder name: nothing may depend on the folder's name.
    dir = path.join(path.dirname(generated.dir), "cloned-elsewhere");
    await fs.move(generated.dir, dir);
  });
  afterAll(() => dir && removeTree(dir));

  it("make db creates the database (a missing one is one clear line), make run serves, Ctrl-C stops it quietly", async () => {
    const name = `first_run_${randomBytes(6).toString("hex")}`;
    const port = await freePort();
    const { prefix, cleanup: deleteKeys } = freshKeyPrefix("first");
    const env = childEnv({
      DATABASE_URL: `postgres://postgres@${services.postgres.host}:${services.postgres.port}/${name}?sslmode=disable`,
      REDIS_URL: services.redis.url,
      REDIS_KEY_PREFIX: prefix,
      HTTP_ADDR: `127.0.0.1:${port}`,
    });
    const make = (target: string) => execa("make", ["--no-print-directory", target], { cwd: dir, env, extendEnv: false, reject: false, all: true });
    try {
      const missing = await make("run");
      expect(missing.exitCode).not.toBe(0);
      expect(String(missing.all)).toMatch(new RegExp(`^first-links: postgres: database "${name}" does not exist; create it with \`make db\``, "m"));
      expect(String(missing.all)).not.toMatch(/failed to initialize database|%v/);

      const created = await make("db");
      expect(created.exitCode, String(created.all)).toBe(0);
      expect(String(created.all)).toMatch(new RegExp(`^created database ${name}$`, "m"));
      expect(String((await make("db")).all)).toMatch(new RegExp(`^database ${name} exists already$`, "m"));

      // Its own process group, as a terminal's foreground job: Ctrl-C reaches make and the server.
      const run = execa("make", ["--no-print-directory", "run"], { cwd: dir, env, extendEnv: false, reject: false, all: true, detached: true });
      await waitFor(`http://127.0.0.1:${port}/healthz`, 120_000);
      process.kill(-run.pid!, "SIGINT");
      const stopped = await run;
      expect(stopped.exitCode === 0 || stopped.signal === "SIGINT", `make run after Ctrl-C: ${stopped.exitCode ?? stopped.signal}`).toBe(true);
      expect(String(stopped.all)).not.toMatch(/\*\*\*|Error \d+/);
      expect(String(stopped.all)).toMatch(/"msg":"stopped"/);
    } finally {
      await execa("psql", ["-h", services.postgres.host, "-U", "postgres", "-d", "postgres", "-c", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { reject: false });
      await deleteKeys();
    }
  }, 300_000);
});
