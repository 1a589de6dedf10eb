import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { parseArgs } from "../../src/cli/parseArgs.js";
import { writeProject } from "../../src/cli/targetDirectory.js";
import { maxHelpWidth } from "../../src/cli/terminal.js";
import { suggestProjectName } from "../../src/core/validateProjectName.js";
import { catalogue } from "../../src/specs/catalogue.js";
import { missing } from "../support/environment.js";
import { packedCli } from "../support/packedCli.js";

const { entry: cli } = await packedCli();
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
    [["app", "--project", "url-shortener", "--http-port", "80"], /^create-gopher-project: --http-port must be an integer from 1024 to 65535$/],
    [["app", "--project", "url-shortener", "--code-length", "x"], /--code-length needs an integer, not "x"/],
    [["app", "--bogus"], /Unknown argument: bogus/],
    // Delivery options, in the flags' words.
    [["app", "--project", "url-shortener", "--image", "alpine"], /^create-gopher-project: --image must be one of distroless, scratch$/],
    [["app", "--project", "cli", "--image", "scratch"], /^create-gopher-project: --image is for projects that ship a container image, and cli does not$/],
    [["app", "--project", "job-queue", "--image"], /^create-gopher-project: --image needs a value$/],
    [["app", "--project", "job-queue", "--image", "scratch", "--image", "distroless"], /^create-gopher-project: --image is given more than once$/],
    // Names the go command treats specially.
    [["vendor", "--project", "cli"], /"vendor" is a directory name the go command treats specially \(vendored dependencies/],
    [["testdata", "--project", "cli"], /"testdata" is a directory name the go command treats specially/],
    // A flag without its value is a usage error, never a silent default.
    [["app", "--project", "url-shortener", "--http-port"], /^create-gopher-project: --http-port needs a value$/],
    [["app", "--project", "url-shortener", "--http-port", "--no-git"], /--http-port needs a value$/],
    [["app", "--project", "url-shortener", "--http-port="], /--http-port needs a value$/],
    [["app", "--project"], /--project needs a value$/],
    [["app", "--project", "cli", "--module"], /--module needs a value$/],
    [["app", "--project", "cli", "--module", "--no-git"], /--module needs a value$/],
    [["app", "--project", "cli", "--module", "example.com/a", "--module", "example.com/b"], /--module is given more than once$/],
    // User input is echoed quoted and escaped: the error stays one line.
    [["app", "--project", "cli", "--module", "example.com/a\nb"], /invalid Go module path "example\.com\/a\\nb": invalid char "\\n"$/],
    [["ap\np", "--project", "cli"], /invalid directory name "ap\\np"/],
    [["deep/a\nb", "--project", "cli"], /invalid directory name "a\\nb"/],
    [["app", "--project", "no\npe"], /unknown project "no\\npe"/],
    [["app", "--project", "cli", "--api-port", "80\n80"], /--api-port needs an integer, not "80\\n80"$/],
    [["app", "--project", "cli", "--api-port", "0x10"], /--api-port needs an integer, not "0x10"$/],
    // Messages speak flags: the flag's spelling and its range, never the option's name.
    [["app", "--project", "cli", "--api-port", "0"], /^create-gopher-project: --api-port must be an integer from 1 to 65535$/],
    [["app", "--project", "job-queue", "--worker-concurrency", "2000"], /^create-gopher-project: --worker-concurrency must be an integer from 1 to 1024$/],
    [["app", "--project", "url-shortener", "--worker-concurrency", "3"], /^create-gopher-project: --worker-concurrency is an option of job-queue, not of url-shortener$/],
    // A directory whose name cannot be the project's: the error says to pass --name, with a slug.
    [["My Links", "--project", "cli"], /^create-gopher-project: invalid directory name "My Links": .*; to keep the directory, name the project with --name \(such as --name my-links\)$/],
    [["My Links", "--project", "cli", "--yes"], /to keep the directory, name the project with --name \(such as --name my-links\)$/],
    [["deep/MyLinks", "--project", "cli", "--yes"], /invalid directory name "MyLinks": .*\(such as --name my-links\)$/],
    [["vendor", "--project", "cli", "--yes"], /treats specially .*; to keep the directory, name the project with --name \(such as --name cli\)$/],
    [["app", "--project", "cli", "--name", "Bad_Name"], /^create-gopher-project: invalid --name "Bad_Name": use lowercase letters/],
    [["app", "--project", "cli", "--name", "vendor"], /^create-gopher-project: "vendor" is a directory name the go command treats specially/],
    [["app", "--project", "cli", "--name"], /^create-gopher-project: --name needs a value$/],
  ])("refuses %j with one line, exit 1, nothing written", async (args, message) => {
    const before = await tree(root);
    const result = await run(args);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
    expect(await tree(root)).toEqual(before);
  });

  const optionFlags = catalogue().flatMap((spec) =>
    spec.options.filter((option) => option.type !== "boolean").map((option) => [spec.id, option.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)]),
  );
  it.each(optionFlags)("%s: --%s without a value is a usage error", async (project, flag) => {
    const before = await tree(root);
    for (const args of [[`--${flag}`], [`--${flag}`, "--no-git"]]) {
      const result = await run(["app", "--project", project!, "--no-tidy", ...args]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(`create-gopher-project: --${flag} needs a value`);
    }
    expect(await tree(root)).toEqual(before);
  });

  it("refuses a target that is a file", async () => {
    await fs.writeFile(path.join(root, "afile"), "x");
    const result = await run(["afile", "--project", "url-shortener"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/afile" exists and is not a directory/);
    expect(await fs.readFile(path.join(root, "afile"), "utf8")).toBe("x");
  });

  it.each([
    ["a symbolic link to an empty directory", "linked", async () => {
      await fs.ensureDir(path.join(root, "links", "empty"));
      await fs.symlink("empty", path.join(root, "links", "linked"));
    }, /"[^"]*links\/linked" is a symbolic link \(to "empty"\): give the directory itself/],
    ["a dangling symbolic link", "dangling", async () => {
      await fs.symlink("nowhere", path.join(root, "links", "dangling"));
    }, /"[^"]*links\/dangling" is a symbolic link to "nowhere", which does not exist$/],
    ["a path through a symbolic link to a file", "tofile/app", async () => {
      await fs.outputFile(path.join(root, "links", "file"), "x");
      await fs.symlink("file", path.join(root, "links", "tofile"));
    }, /"[^"]*links\/tofile" is a symbolic link to "file", which is not a directory$/],
    ["a path through a dangling symbolic link", "gone/deeper/app", async () => {
      await fs.symlink("nowhere/at/all", path.join(root, "links", "gone"));
    }, /"[^"]*links\/gone" is a symbolic link to "nowhere\/at\/all", which does not exist$/],
  ])("refuses %s with a sentence, leaving the link as it is", async (_what, target, setup, message) => {
    await fs.remove(path.join(root, "links"));
    await fs.ensureDir(path.join(root, "links"));
    await setup();
    const before = await tree(root);
    const links = await Promise.all((await fs.readdir(path.join(root, "links"))).map((f) => fs.lstat(path.join(root, "links", f))));
    const result = await run([`links/${target}`, "--project", "cli", "--no-git", "--no-tidy"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
    expect(await tree(root)).toEqual(before);
    const after = await Promise.all((await fs.readdir(path.join(root, "links"))).map((f) => fs.lstat(path.join(root, "links", f))));
    expect(after.map((stat) => [stat.ino, stat.mode])).toEqual(links.map((stat) => [stat.ino, stat.mode]));
    await fs.remove(path.join(root, "links"));
  });

  it.each([
    ["022", 0o755],
    ["077", 0o700],
  ])("gives the project root the mode the umask %s says", async (umask, mode) => {
    const target = `umask-${umask}`;
    const result = await execa("sh", ["-c", `umask ${umask}; exec node "$0" "$@"`, cli, target, "--project", "cli", "--no-git", "--no-tidy"], {
      cwd: root,
      reject: false,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await fs.stat(path.join(root, target))).mode & 0o777).toBe(mode);
    expect((await fs.stat(path.join(root, target, "cmd"))).mode & 0o777).toBe(mode);
  });

  it("generates into an existing empty directory without replacing it (it may be a shell's working directory)", async () => {
    const dir = path.join(root, "here");
    await fs.ensureDir(dir);
    const { ino } = await fs.stat(dir);
    const result = await run([".", "--project", "cli", "--no-git", "--no-tidy"], dir);
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await fs.stat(dir)).ino).toBe(ino);
    expect(await fs.pathExists(path.join(dir, "cmd", "here", "main.go"))).toBe(true);
    expect((await fs.readdir(root)).filter((f) => f.includes("create-gopher-project"))).toEqual([]);
  });

  it("leaves git alone when the target lands inside a repository", async () => {
    const repo = path.join(root, "repo");
    await fs.ensureDir(repo);
    await execa("git", ["init", "--quiet"], { cwd: repo });
    const result = await run(["repo/sub/app", "--project", "cli", "--no-tidy"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/already inside a git repository/);
    expect(await fs.pathExists(path.join(repo, "sub", "app", ".git"))).toBe(false);
  });

  it("refuses a non-empty directory without --force, and with --force writes only its own files", async () => {
    const dir = path.join(root, "busy");
    await fs.outputFile(path.join(dir, "keep.txt"), "mine");
    await fs.outputFile(path.join(dir, "README.md"), "old readme");
    const refused = await run(["busy", "--project", "url-shortener", "--no-git", "--no-tidy"]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/busy" is not empty \(use --force/);
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

  it("--dry-run into a reader that stops early (| head -1) exits 0 without a stack trace", async () => {
    const piped = await execa("bash", ["-c", `set -o pipefail; node ${JSON.stringify(cli)} dry --project url-shortener --dry-run | head -1`], {
      cwd: root,
      reject: false,
    });
    expect(piped.stdout).toMatch(/^dry run: /);
    expect(piped.exitCode, piped.stderr).toBe(0);
    expect(piped.stderr).toBe("");
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
    const skip = missing([{ what: "setpriv (to drop root's capabilities)", ok: probe.exitCode === 0 }]);
    if (skip) ctx.skip(`${skip}: ${probe.stderr}`);
    const result = await execa(asUser[0]!, [...asUser.slice(1), cli, "locked/app", "--project", "url-shortener", "--yes"], {
      cwd: root,
      reject: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/cannot write to ".*locked": permission denied/);
    expect(await fs.readdir(locked)).toEqual([]);
  });

  it("generates with --yes and defaults, records the answers, and commits without a git identity only when told so", async () => {
    const result = await run(["fresh", "--project", "url-shortener", "--yes", "--no-tidy", "--module", "example.com/acme/fresh"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      [
        "Done. Next steps:",
        "   cd fresh",
        "",
        "   # with Docker: postgres, redis in docker compose, the app on this machine",
        "   cp .env.example .env   # then replace every change-me",
        "   make up                # postgres, redis only; make up-all runs the app in compose too",
        "   make run",
        "",
        "   # without Docker: postgres, redis you already run",
        "   export DATABASE_URL='postgres://postgres@127.0.0.1:5432/links?sslmode=disable' REDIS_URL=redis://127.0.0.1:6379/0",
        "   make db                # creates the links database, once",
        "   make run",
        "",
        "   make test              # unit tests; README.md has the integration tests",
      ].join("\n"),
    );
    // A module path was given: no placeholder note.
    expect(result.stdout).not.toMatch(/placeholder/);
    // Every make target the steps name is one the Makefile has, and the README shows the same route.
    const help = await execa("make", ["--no-print-directory", "help"], { cwd: path.join(root, "fresh") });
    for (const target of result.stdout.matchAll(/\bmake ([\w-]+)/g)) expect(help.stdout).toMatch(new RegExp(`^\\s+${target[1]}\\s`, "m"));
    const readme = await fs.readFile(path.join(root, "fresh", "README.md"), "utf8");
    expect(readme).toContain("export DATABASE_URL='postgres://postgres@127.0.0.1:5432/links?sslmode=disable' REDIS_URL=redis://127.0.0.1:6379/0\nmake db");
    expect(readme).not.toMatch(/placeholder module path/);
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

describe("create-gopher-project (built CLI): first ten minutes", () => {
  it("--help lists each project's options under its project, with default and range, and shows examples", async () => {
    const help = await run(["--help"]);
    expect(help.exitCode).toBe(0);
    for (const spec of catalogue()) {
      const heading = `${spec.title} options (--project ${spec.id}):`;
      expect(help.stdout).toContain(heading);
      const group = help.stdout.slice(help.stdout.indexOf(heading)).split("\n\n")[0]!;
      for (const option of spec.options) {
        if (option.type === "boolean") continue;
        const flag = option.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        const described = new RegExp(`--${flag}\\s+.*an integer from ${option.min} to ${option.max}\\s+\\[default: ${option.default}\\]`);
        expect(group.replace(/\n\s+/g, " ")).toMatch(described);
      }
    }
    expect(help.stdout).not.toMatch(/--http-port.*\[string\]/);
    expect(help.stdout).toMatch(/--name\s+Project name/);
    expect(help.stdout).toMatch(/Examples:\n {2}create-gopher-project .*#[\s\S]*create-gopher-project "My Links" -p cli --name my-links\s+#/);
  });

  it("a lone --help prints the text yargs renders (prerendered into the bundle) without loading yargs", async () => {
    const version = JSON.parse(await fs.readFile("package.json", "utf8")).version;
    const rendered = await parseArgs(["--help"], catalogue(), version, maxHelpWidth);
    if (!("print" in rendered)) throw new Error("parseArgs gave no help");
    for (const flag of ["--help", "-h"]) {
      const help = await run([flag]);
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toBe(rendered.print);
    }
    // With anything beside it, yargs itself answers: the same text.
    expect((await run(["--help", "--yes"])).stdout).toBe(rendered.print);

    // Whether a run compiles yargs: a preload reports each module that holds it.
    const preload = path.join(root, "report-yargs.cjs");
    await fs.writeFile(
      preload,
      [
        `const Module = require("node:module");`,
        `const compile = Module.prototype._compile;`,
        `Module.prototype._compile = function (content, filename) {`,
        `  if (content.includes("yargs")) process.stderr.write("yargs in " + filename + "\\n");`,
        `  return compile.call(this, content, filename);`,
        `};`,
      ].join("\n"),
    );
    const loadsYargs = async (args: string[]) => {
      const result = await execa("node", ["--require", preload, cli, ...args], { cwd: root, reject: false, env: { NODE_DISABLE_COMPILE_CACHE: "1" } });
      expect(result.exitCode, result.stderr).toBe(0);
      return result.stderr.includes("yargs in ");
    };
    expect(await loadsYargs(["--help"])).toBe(false);
    expect(await loadsYargs(["--list"])).toBe(false);
    expect(await loadsYargs(["--version"])).toBe(true); // the preload does see yargs where it is loaded
  });

  it("--name names the project apart from its directory", async () => {
    const result = await run(["My Links", "--project", "cli", "--name", "my-links", "--no-git", "--no-tidy"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^ {3}cd 'My Links'$/m);
    const dir = path.join(root, "My Links");
    expect((await fs.readJson(path.join(dir, ".gopher-project.json"))).answers).toMatchObject({ name: "my-links", module: "example.com/my-links" });
    expect(await fs.pathExists(path.join(dir, "cmd", "my-links", "main.go"))).toBe(true);

    const valid = await run(["plain", "--project", "url-shortener", "--name", "other", "--dry-run"]);
    expect(valid.exitCode, valid.stderr).toBe(0);
    expect(valid.stdout).toMatch(/^ {2}cmd\/other\/main\.go$/m);
    expect(valid.stdout).not.toMatch(/cmd\/plain/);
  });

  it("writes plain lines without a terminal: no colors, no spinner", async () => {
    const result = await execa("node", [cli, "plainout", "--project", "cli", "--yes", "--no-git", "--no-tidy"], {
      cwd: root,
      reject: false,
      env: { FORCE_COLOR: "", NO_COLOR: undefined },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/[\u001b\r]/);
    expect(result.stdout).toMatch(/^• rendering CLI Tool into .*plainout\n• rendered \d+ files\n\nDone\. Next steps:\n {3}cd plainout\n/);
    // No --module: the example.com path is called a placeholder, once.
    expect(result.stdout.match(/placeholder/g)).toEqual(["placeholder"]);
    expect(result.stdout).toMatch(/^The module path example\.com\/plainout is a placeholder: pass --module next time/m);
    expect(result.stdout).not.toMatch(/create-gopher-project v/);
  });
});

describe("suggestProjectName", () => {
  it.each([
    ["My Links", "my-links"],
    ["MyLinks", "my-links"],
    ["my_links", "my-links"],
    ["  Café Crème  ", "cafe-creme"],
    ["2fast 2furious", "fast-2furious"],
    ["--x--", "x"],
    ["a".repeat(70), "a".repeat(64)],
    ["vendor", undefined],
    ["CON", undefined],
    ["日本", undefined],
    ["", undefined],
  ])("%j → %j", (text, expected) => {
    expect(suggestProjectName(text)).toBe(expected);
  });
});

describe("writeProject", () => {
  it("leaves nothing behind when rendering fails halfway", async () => {
    const target = path.join(root, "deep", "er", "half");
    await expect(
      writeProject(target, false, async (dir) => {
        await fs.outputFile(path.join(dir, "go.mod"), "module x\n");
        await fs.outputFile(path.join(dir, "internal/a.go"), "package a\n");
        throw new Error("disk full");
      }),
    ).rejects.toThrow("disk full");
    expect(await fs.pathExists(path.join(root, "deep"))).toBe(false);
  });
});
