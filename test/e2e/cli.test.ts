import { randomBytes } from "node:crypto";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { findSpec } from "../../src/specs/catalogue.js";
import { childEnv, services } from "../support/environment.js";
import { generateInto, removeTree } from "../support/generate.js";
import { checkNonGoFiles, sh } from "../support/goLadder.js";
import { freshDatabase } from "../support/postgres.js";
import { itClimbsTheGoLadder } from "../support/ladderTests.js";
import { ladderPrerequisites } from "../support/prerequisites.js";
import { freshKeyPrefix } from "../support/redis.js";
import { freePort, start, terminate, waitFor } from "../support/processes.js";

const spec = findSpec("cli");
const { tools, skipReason } = await ladderPrerequisites(spec, ["postgres", "redis"]);

describe.skipIf(skipReason)("cli, generated and put through the Go ladder", () => {
  let dir: string;

  beforeAll(async () => {
    // A name with a dash: it becomes the binary and the environment prefix (LINK_CTL_…).
    ({ dir } = await generateInto("cli", { name: "link-ctl", module: "example.com/acme/link-ctl" }));
  });
  afterAll(() => dir && removeTree(dir));

  itClimbsTheGoLadder(() => dir, {
    golangciLint: tools.golangciLint,
    govulncheck: spec.tools.govulncheck,
    tags: [],
    unitTests: " (golden output, precedence, retries, fuzz seeds)",
  });
  it("ships a workflow, GoReleaser config, YAML and Makefile that check out", async () => {
    await checkNonGoFiles(dir, tools.actionlint);
    const help = await sh("make", ["help"], { cwd: dir });
    for (const target of ["completion", "docs", "release-snapshot"]) expect(help.stdout).toContain(target);
  }, 120_000);
});

describe.skipIf(skipReason)("cli driving a generated url-shortener over HTTP", () => {
  let root: { shortener: string; cli: string };
  const bin = { shortener: "", cli: "" };

  beforeAll(async () => {
    const [shortener, cliRepo] = await Promise.all([
      generateInto("url-shortener", { name: "shortener", module: "example.com/acme/shortener" }),
      generateInto("cli", { name: "linkctl", module: "example.com/acme/linkctl" }),
    ]);
    root = { shortener: shortener.dir, cli: cliRepo.dir };
    bin.shortener = path.join(root.shortener, "bin", "shortener");
    bin.cli = path.join(root.cli, "bin", "linkctl");
    await sh("go", ["build", "-trimpath", "-ldflags=-X main.version=e2e", "-o", bin.shortener, "./cmd/shortener"], { cwd: root.shortener, env: { CGO_ENABLED: "0" } });
    await sh("go", ["build", "-trimpath", "-ldflags=-X main.version=e2e", "-o", bin.cli, "./cmd/linkctl"], { cwd: root.cli, env: { CGO_ENABLED: "0" } });
  }, 900_000);
  afterAll(async () => {
    if (root) await Promise.all([removeTree(root.shortener), removeTree(root.cli)]);
  });

  it("create → get → list → delete, with JSON output and documented exit codes", async () => {
    const db = await freshDatabase("cli_roundtrip");
    const { prefix, cleanup: deleteKeys } = freshKeyPrefix("cli");
    const token = randomBytes(16).toString("hex");
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const server = start(bin.shortener, [], {
      HTTP_ADDR: `127.0.0.1:${port}`,
      DATABASE_URL: db.url,
      REDIS_URL: services.redis.url,
      REDIS_KEY_PREFIX: prefix,
      BASE_URL: endpoint,
      API_TOKEN: token,
    });
    const configFile = path.join(root.cli, "config.yaml");
    const linkctl = (args: string[], env: Record<string, string> = {}) =>
      execa(bin.cli, args, {
        reject: false,
        extendEnv: false,
        env: childEnv({ LINKCTL_CONFIG: configFile, LINKCTL_ENDPOINT: endpoint, LINKCTL_TOKEN: token, ...env }),
      });
    try {
      await waitFor(`${endpoint}/healthz`);

      const created = await linkctl(["links", "create", "https://go.dev/blog/", "--alias", "goblog", "--expires-in", "24h", "-o", "json"]);
      expect(created.exitCode, created.stderr).toBe(0);
      const link = JSON.parse(created.stdout) as { code: string; url: string; short_url: string; expires_at: string | null };
      expect(link).toMatchObject({ code: "goblog", url: "https://go.dev/blog/", short_url: `${endpoint}/goblog` });
      expect(Date.parse(link.expires_at!)).toBeGreaterThan(Date.now() + 23 * 3600_000);

      const second = await linkctl(["links", "create", "https://pkg.go.dev/", "-o", "json"]);
      expect(second.exitCode, second.stderr).toBe(0);
      const secondCode = (JSON.parse(second.stdout) as { code: string }).code;

      const redirect = await fetch(`${endpoint}/goblog`, { redirect: "manual" });
      expect(redirect.headers.get("location")).toBe("https://go.dev/blog/");

      const got = await linkctl(["links", "get", "goblog", "-o", "json"]);
      expect(got.exitCode, got.stderr).toBe(0);
      expect(JSON.parse(got.stdout)).toMatchObject({ code: "goblog", url: "https://go.dev/blog/" });

      // Pages of one: the CLI must follow next_cursor to see both links.
      const listed = await linkctl(["links", "list", "--page-size", "1", "-o", "json"]);
      expect(listed.exitCode, listed.stderr).toBe(0);
      const page = JSON.parse(listed.stdout) as { links: { code: string }[]; next_cursor: string };
      expect(page.next_cursor).toBe("");
      const codes = page.links.map((l) => l.code).sort();
      expect(codes).toEqual(["goblog", secondCode].sort());

      const quiet = await linkctl(["links", "list", "--quiet"]);
      expect(quiet.stdout.trim().split("\n").sort()).toEqual(codes);

      const deleted = await linkctl(["links", "delete", "goblog"]);
      expect(deleted.exitCode, deleted.stderr).toBe(0);

      const notFound = await linkctl(["links", "get", "goblog", "-o", "json"]);
      expect(notFound.exitCode).toBe(3);
      expect(notFound.stderr).toMatch(/not found/i);

      const usage = await linkctl(["links", "get"]);
      expect(usage.exitCode).toBe(2);

      const unauthorized = await linkctl(["links", "get", secondCode, "--debug"], { LINKCTL_TOKEN: "wrong-token" });
      expect(unauthorized.exitCode).toBe(5);
      expect(unauthorized.stderr).not.toContain("wrong-token");
    } finally {
      const stopped = await terminate(server);
      expect(stopped.exitCode, stopped.output).toBe(0);
      await db.drop();
      await deleteKeys();
    }

    // The server is gone: a network error, exit 4, quickly.
    const down = await linkctl(["links", "get", "anything", "--timeout", "5s"]);
    expect(down.exitCode).toBe(4);
  }, 300_000);
});
