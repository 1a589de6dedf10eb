import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { writeProject } from "../../src/cli/targetDirectory.js";

const cli = path.resolve("dist/src/cli/index.js");
let root: string;

/** Runs the built CLI without a TTY, so it never prompts. */
const run = (args: string[], cwd = root) =>
  execa("node", [cli, ...args], { cwd, reject: false, env: { CI: "", GIT_CONFIG_GLOBAL: "/dev/null" } });

const tree = async (dir: string): Promise<string[]> =>
  (await fs.pathExists(dir)) ? (await fs.readdir(dir, { recursive: true })).map(String).sort() : [];

beforeAll(async () => {
  if (!(await fs.pathExists(cli))) throw new Error("build the CLI first: npm run build");
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-cli-"));
});
afterAll(() => fs.remove(root));

describe("create-gopher-project (built CLI)", () => {
  it("prints help, version and the catalogue", async () => {
    const help = await run(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/--project[\s\S]*--dry-run[\s\S]*--http-port/);
    const version = await run(["--version"]);
    expect(version.stdout.trim()).toBe(JSON.parse(await fs.readFile("package.json", "utf8")).version);
    const list = await run(["--list"]);
    expect(list.stdout).toMatch(/^url-shortener\s+URL Shortener: Gin, GORM, PostgreSQL, Redis/m);
  });

  it.each([
    [["app", "--project", "url-shortener", "--module", "example.com/a b"], /invalid Go module path "example.com\/a b": invalid char " "/],
    [["app", "--project", "url-shortener", "--module", "example.com/app/v1"], /major version suffixes/],
    [["Bad_Name", "--project", "url-shortener"], /invalid directory name "Bad_Name"/],
    [["app", "--project", "nope"], /unknown project "nope" \(choose one of: url-shortener/],
    [["app"], /no project chosen: pass --project/],
    [["app", "--project", "url-shortener", "--http-port", "80"], /option httpPort must be an integer from 1024 to 65535/],
    [["app", "--project", "url-shortener", "--code-length", "x"], /--code-length needs a number/],
    [["app", "--bogus"], /Unknown argument: bogus/],
  ])("refuses %j with one line, exit 1, nothing written", async (args, message) => {
    const before = await tree(root);
    const result = await run(args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(await tree(root)).toEqual(before);
  });

  it("refuses a target that is a file", async () => {
    await fs.writeFile(path.join(root, "afile"), "x");
    const result = await run(["afile", "--project", "url-shortener"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/afile exists and is not a directory/);
    expect(await fs.readFile(path.join(root, "afile"), "utf8")).toBe("x");
  });

  it("refuses a non-empty directory without --force, and with --force writes only its own files", async () => {
    const dir = path.join(root, "busy");
    await fs.outputFile(path.join(dir, "keep.txt"), "mine");
    await fs.outputFile(path.join(dir, "README.md"), "old readme");
    const refused = await run(["busy", "--project", "url-shortener", "--no-git", "--no-tidy"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/busy is not empty \(use --force/);
    expect(await tree(dir)).toEqual(["README.md", "keep.txt"]);

    const forced = await run(["busy", "--project", "url-shortener", "--no-git", "--no-tidy", "--force"]);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(await fs.readFile(path.join(dir, "keep.txt"), "utf8")).toBe("mine");
    expect(await fs.readFile(path.join(dir, "README.md"), "utf8")).not.toBe("old readme");
    expect(await fs.pathExists(path.join(dir, "go.mod"))).toBe(true);
    expect((await fs.readdir(root)).filter((f) => f.includes("create-gopher-project"))).toEqual([]);
  });

  it("--dry-run prints the tree and writes nothing", async () => {
    const before = await tree(root);
    const result = await run(["dry", "--project", "url-shortener", "--dry-run"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/would write \d+ files/);
    expect(result.stdout).toMatch(/^ {2}go\.mod$/m);
    expect(result.stdout).toMatch(/^ {2}cmd\/dry\/main\.go$/m);
    expect(await tree(root)).toEqual(before);
  });

  it("refuses an unwritable parent without writing", async (ctx) => {
    const locked = path.join(root, "locked");
    await fs.ensureDir(locked);
    await fs.chmod(locked, 0o555);
    // Root ignores permission bits: where we are root, drop the capabilities that let it.
    const asUser =
      process.getuid?.() === 0
        ? ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search", "node"]
        : ["node"];
    const probe = await execa(asUser[0]!, [...asUser.slice(1), "--version"], { reject: false });
    if (probe.exitCode !== 0) ctx.skip(`cannot drop privileges here: ${probe.stderr}`);
    const result = await execa(asUser[0]!, [...asUser.slice(1), cli, "locked/app", "--project", "url-shortener", "--yes"], {
      cwd: root,
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cannot write to .*locked: permission denied/);
    expect(await fs.readdir(locked)).toEqual([]);
  });

  it("generates with --yes and defaults, records the answers, and commits without a git identity only when told so", async () => {
    const result = await run(["fresh", "--project", "url-shortener", "--yes", "--no-tidy", "--module", "example.com/acme/fresh"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Next steps:[\s\S]*cd fresh[\s\S]*make up[\s\S]*make run[\s\S]*make test/);
    expect(result.stderr).toMatch(/no git identity configured/);
    const manifest = await fs.readJson(path.join(root, "fresh", ".gopher-project.json"));
    expect(manifest).toMatchObject({
      project: "url-shortener",
      answers: { name: "fresh", module: "example.com/acme/fresh", options: { httpPort: 8080, codeLength: 7 } },
    });
    expect(await fs.pathExists(path.join(root, "fresh", ".git"))).toBe(true);
    const log = await execa("git", ["log"], { cwd: path.join(root, "fresh"), reject: false });
    expect(log.exitCode).not.toBe(0);
  });

  it("makes a first commit when a git identity is configured", async () => {
    const result = await execa("node", [cli, "committed", "--project", "url-shortener", "--yes", "--no-tidy"], {
      cwd: root,
      reject: false,
      env: { GIT_CONFIG_GLOBAL: "/dev/null", GIT_AUTHOR_NAME: "x", GIT_COMMITTER_NAME: "x", GIT_CONFIG_COUNT: "2", GIT_CONFIG_KEY_0: "user.name", GIT_CONFIG_VALUE_0: "Gopher", GIT_CONFIG_KEY_1: "user.email", GIT_CONFIG_VALUE_1: "gopher@example.com" },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const log = await execa("git", ["log", "--oneline"], { cwd: path.join(root, "committed") });
    expect(log.stdout).toMatch(/Initial commit from create-gopher-project/);
    const status = await execa("git", ["status", "--porcelain"], { cwd: path.join(root, "committed") });
    expect(status.stdout).toBe("");
  });

  it("warns with an install hint when Go is missing, and the files still stand", async () => {
    const result = await execa("node", [cli, "nogo", "--project", "url-shortener", "--yes", "--no-git"], {
      cwd: root,
      reject: false,
      env: { PATH: path.dirname(process.execPath) },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Go is not installed, so go mod tidy was skipped: install Go from https:\/\/go\.dev\/dl\//);
    expect(await fs.pathExists(path.join(root, "nogo", "go.mod"))).toBe(true);
  });
});

describe("writeProject", () => {
  it("leaves nothing behind when rendering fails halfway", async () => {
    const target = path.join(root, "deep", "er", "half");
    await expect(
      writeProject(target, async (staging) => {
        await fs.outputFile(path.join(staging, "go.mod"), "module x\n");
        await fs.outputFile(path.join(staging, "internal/a.go"), "package a\n");
        throw new Error("disk full");
      }),
    ).rejects.toThrow("disk full");
    expect(await fs.pathExists(path.join(root, "deep"))).toBe(false);
  });
});
