import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { missing, toolPath } from "../support/environment.js";
import { packedCli } from "../support/packedCli.js";

// A real terminal (tmux) drives the prompts: they ask only what the flags did not say, and
// Ctrl-C at a prompt exits 130 with nothing written.
const { entry: cli } = await packedCli();
const skipReason = missing([{ what: "tmux", ok: Boolean(await toolPath("tmux")) }]);
let root: string;
let session = 0;

const screen = async (name: string) => (await execa("tmux", ["capture-pane", "-p", "-t", name])).stdout;
async function until(name: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await screen(name);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`screen never showed ${pattern}:\n${text}`);
}
const shellWord = (word: string) => (/^[\w./=:-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);
/** Starts the CLI in a tmux session; env is `env`'s arguments (VAR=value, -u VAR). */
async function open(args: string[], { cwd = root, env = [] as string[] } = {}): Promise<string> {
  const name = `gopher-${process.pid}-${session++}`;
  const command = `env ${[...env, "node", cli, ...args].map(shellWord).join(" ")}; echo EXIT=$?; sleep 60`;
  await execa("tmux", ["new-session", "-d", "-s", name, "-x", "150", "-y", "40", "-c", cwd, command]);
  return name;
}
const keys = (name: string, ...k: string[]) => execa("tmux", ["send-keys", "-t", name, ...k]);
/** The screen with its colors and attributes as escape sequences. */
const coloredScreen = async (name: string) => (await execa("tmux", ["capture-pane", "-e", "-p", "-t", name])).stdout;
const cursorShown = async (name: string) => (await execa("tmux", ["display", "-p", "-t", name, "#{cursor_flag}"])).stdout === "1";
let cases: string;
let caseNumber = 0;
/** A fresh working directory for one test. */
const freshDir = async () => {
  const dir = path.join(cases, `case-${caseNumber++}`);
  await fs.ensureDir(dir);
  return dir;
};
const manifestOf = (dir: string) => fs.readJson(path.join(dir, ".gopher-project.json"));

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-tty-"));
  cases = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-tty-cases-"));
});
afterAll(async () => {
  await execa("sh", ["-c", `tmux ls -F '#S' 2>/dev/null | grep '^gopher-${process.pid}-' | xargs -r -n1 tmux kill-session -t`], { reject: false });
  await fs.remove(root);
  await fs.remove(cases);
});

describe.skipIf(skipReason)("prompts on a terminal", () => {
  it("asks only what the flags did not say", async () => {
    const name = await open(["links", "--project", "url-shortener", "--module", "example.com/acme/links", "--http-port", "9000", "--no-git", "--no-tidy"]);
    const first = await until(name, /Length of generated short codes/);
    expect(first).not.toMatch(/Which roadmap project|Project directory|Go module path|HTTP port/);
    await keys(name, "BSpace", "9", "Enter");
    // The delivery options the project takes come after its own: each choice with what it means.
    const image = await until(name, /Base of the container image/);
    expect(image).toMatch(/distroless \(gcr\.io\/distroless\/static-debian13:nonroot\)\n.*scratch \(scratch, with CA certificates/);
    await keys(name, "Down", "Enter");
    await until(name, /EXIT=0/);
    const manifest = await fs.readJson(path.join(root, "links", ".gopher-project.json"));
    expect(manifest.answers).toEqual({
      name: "links",
      module: "example.com/acme/links",
      options: { httpPort: 9000, codeLength: 9 },
      delivery: { image: "scratch" },
    });
    expect(await fs.readFile(path.join(root, "links", "Dockerfile"), "utf8")).toMatch(/^FROM scratch$/m);
  });

  it("exits 130 on Ctrl-C at a prompt and writes nothing", async () => {
    const name = await open(["--no-git", "--no-tidy"]);
    await until(name, /Which roadmap project/);
    await keys(name, "Enter");
    await until(name, /Project directory/);
    await keys(name, "C-c");
    await until(name, /EXIT=130/);
    expect((await fs.readdir(root)).filter((f) => f !== "links")).toEqual([]);
  });

  it("Ctrl-C at the project list prints one cancelled line and gives the cursor back", async () => {
    const cwd = await freshDir();
    const name = await open(["--no-git", "--no-tidy"], { cwd });
    await until(name, /Which roadmap project/);
    expect(await cursorShown(name)).toBe(false); // the list hides it
    await keys(name, "C-c");
    const text = await until(name, /EXIT=130/);
    expect(text.match(/cancelled/g)).toHaveLength(1);
    expect(text).toMatch(/^create-gopher-project: cancelled by SIGINT: nothing was written\nEXIT=130$/m);
    expect(await cursorShown(name)).toBe(true);
    expect(await fs.readdir(cwd)).toEqual([]);
  });

  it("starts with the version, shows each project's description, and collapses the answer to its title", async () => {
    const cwd = await freshDir();
    const { version } = await fs.readJson("package.json");
    const name = await open(["--no-git", "--no-tidy"], { cwd });
    const list = await until(name, /Which roadmap project/);
    expect(list).toContain(`create-gopher-project v${version}`);
    expect(list).toMatch(/URL Shortener \(Gin, GORM[^\n]*\n {4}A versioned Gin HTTP API that shortens URLs/);
    expect(list).toMatch(/CLI Tool \(Cobra[^\n]*\n {4}A Cobra command-line client for the URL-shortener API/);
    await keys(name, "Up", "Enter"); // the list does not loop: Up stays on the first project
    const answered = await until(name, /Project directory/);
    expect(answered).toMatch(/^\? Which roadmap project\? URL Shortener$/m);
    expect(answered).not.toMatch(/A versioned Gin HTTP API|Distributed Job Queue|CLI Tool/);
    await keys(name, "C-c");
    await until(name, /EXIT=130/);
  });

  it.each([
    ["on a terminal", [] as string[], true],
    ["never with NO_COLOR", ["NO_COLOR=1"], false],
  ])("colors: %s", async (_what, env, colored) => {
    const cwd = await freshDir();
    const name = await open(["app", "--project", "cli", "--no-git", "--no-tidy"], {
      cwd,
      env: ["-u", "NO_COLOR", "-u", "FORCE_COLOR", "-u", "NODE_DISABLE_COLORS", "TERM=xterm-256color", ...env],
    });
    await until(name, /Go module path/);
    const asking = await coloredScreen(name);
    await keys(name, "Enter");
    await until(name, /Port of the URL-shortener API/);
    await keys(name, "Enter");
    await until(name, /EXIT=0/);
    const done = await coloredScreen(name);
    // Select Graphic Rendition sequences (bold, dim, colors) other than a plain reset.
    const style = "\u001b\\[(?!0?m)[0-9;]*m";
    const styled = new RegExp(style);
    if (colored) {
      expect(asking).toMatch(styled); // the prompts
      expect(done).toMatch(new RegExp(`(${style})+create-gopher-project(${style}|\u001b\\[0?m)* (${style})+v\\d`)); // the banner
      expect(done).toMatch(new RegExp(`(${style})+Done\\.`));
    } else {
      expect(asking).not.toMatch(styled);
      expect(done).not.toMatch(styled);
      expect(done).toMatch(/^create-gopher-project v\d+\.\d+\.\d+$/m);
      expect(done).toMatch(/^Done\. Next steps:$/m);
    }
  });

  it("catches a non-empty directory when it is typed: choose another, then go on", async () => {
    const cwd = await freshDir();
    await fs.outputFile(path.join(cwd, "busy", "keep.txt"), "mine");
    const name = await open(["--project", "cli", "--no-git", "--no-tidy"], { cwd });
    await until(name, /Project directory/);
    await keys(name, "busy", "Enter");
    const offer = await until(name, /"busy" is not empty \(--force writes the project's files into it\)\. What now\?/);
    expect(offer).toMatch(/Choose another directory\n\s*Cancel/);
    expect(offer).not.toMatch(/Go module path|Port of the URL-shortener API/);
    await keys(name, "Enter");
    const again = await until(name, /What now\? choose another\n\? Project directory/);
    expect(again).toMatch(/\? Project directory \(cli\)/);
    await keys(name, "fresh", "Enter");
    await until(name, /Go module path/);
    await keys(name, "Enter");
    await until(name, /Port of the URL-shortener API/);
    await keys(name, "Enter");
    await until(name, /EXIT=0/);
    expect(await fs.readdir(path.join(cwd, "busy"))).toEqual(["keep.txt"]);
    expect((await manifestOf(path.join(cwd, "fresh"))).answers.name).toBe("fresh");
  });

  it("offers the same for a non-empty directory given as an argument, and Cancel writes nothing", async () => {
    const cwd = await freshDir();
    await fs.outputFile(path.join(cwd, "busy", "keep.txt"), "mine");
    const name = await open(["busy", "--project", "url-shortener", "--no-git", "--no-tidy"], { cwd });
    await until(name, /"busy" is not empty/);
    await keys(name, "Down", "Enter");
    const text = await until(name, /EXIT=1\b/);
    expect(text).toMatch(/What now\? cancel\ncreate-gopher-project: cancelled: nothing was written\nEXIT=1$/m);
    expect(text).not.toMatch(/Go module path|HTTP port/);
    expect(await fs.readdir(cwd)).toEqual(["busy"]);
    expect(await fs.readdir(path.join(cwd, "busy"))).toEqual(["keep.txt"]);
  });

  it("takes a non-empty directory with --force, without asking", async () => {
    const cwd = await freshDir();
    await fs.outputFile(path.join(cwd, "busy", "keep.txt"), "mine");
    const name = await open(["busy", "--project", "cli", "--force", "--no-git", "--no-tidy"], { cwd });
    const text = await until(name, /Go module path/);
    expect(text).not.toMatch(/not empty/);
    await keys(name, "Enter");
    await until(name, /Port of the URL-shortener API/);
    await keys(name, "Enter");
    await until(name, /EXIT=0/);
    expect(await fs.readFile(path.join(cwd, "busy", "keep.txt"), "utf8")).toBe("mine");
    expect(await fs.pathExists(path.join(cwd, "busy", "go.mod"))).toBe(true);
  });

  it("refuses a typed directory that can never take a project, and asks again", async () => {
    const cwd = await freshDir();
    await fs.outputFile(path.join(cwd, "afile"), "x");
    const name = await open(["--project", "cli", "--no-git", "--no-tidy"], { cwd });
    await until(name, /Project directory/);
    await keys(name, "afile", "Enter");
    await until(name, />> "[^"]*afile" exists and is not a directory/);
    await keys(name, "C-u", "ok", "Enter");
    await until(name, /Go module path/);
    await keys(name, "C-c");
    await until(name, /EXIT=130/);
    expect(await fs.readdir(cwd)).toEqual(["afile"]);
  });

  it("refuses 80x at a number prompt instead of taking the default", async () => {
    const cwd = await freshDir();
    const name = await open(["links", "--project", "url-shortener", "--module", "example.com/links", "--code-length", "7", "--image", "distroless", "--no-git", "--no-tidy"], { cwd });
    await until(name, /HTTP port the API listens on \(1024–65535\)/);
    await keys(name, "80x", "Enter");
    await until(name, />> "80x" is not an integer from 1024 to 65535/);
    await keys(name, "BSpace", "BSpace", "BSpace", "80", "Enter");
    await until(name, />> "80" is not an integer from 1024 to 65535/);
    await keys(name, "BSpace", "BSpace", "9000", "Enter");
    await until(name, /EXIT=0/);
    expect((await manifestOf(path.join(cwd, "links"))).answers.options).toEqual({ httpPort: 9000, codeLength: 7 });
  });

  it("asks for the project's name when the directory's cannot be one, with a slug as the default", async () => {
    const cwd = await freshDir();
    const name = await open(["My Links", "--project", "cli", "--no-git", "--no-tidy"], { cwd });
    await until(name, /Project name, for the binary and image \("My Links" cannot be one\) \(my-links\)/);
    await keys(name, "Enter");
    await until(name, /Go module path \(example\.com\/my-links\)/);
    await keys(name, "Enter");
    await until(name, /Port of the URL-shortener API/);
    await keys(name, "Enter");
    const done = await until(name, /EXIT=0/);
    expect(done).toMatch(/cd 'My Links'/);
    const dir = path.join(cwd, "My Links");
    expect((await manifestOf(dir)).answers).toMatchObject({ name: "my-links", module: "example.com/my-links" });
    expect(await fs.pathExists(path.join(dir, "cmd", "my-links", "main.go"))).toBe(true);
  });

  it("refuses an invalid typed name and does not ask for it when --name is given", async () => {
    const cwd = await freshDir();
    const asked = await open(["My Links", "--project", "cli", "--no-git", "--no-tidy"], { cwd });
    await until(asked, /Project name/);
    await keys(asked, "Bad_Name", "Enter");
    await until(asked, />> invalid project name "Bad_Name": use lowercase letters/);
    await keys(asked, "C-c");
    await until(asked, /EXIT=130/);

    const given = await open(["My Links", "--project", "cli", "--name", "links", "--no-git", "--no-tidy"], { cwd });
    const text = await until(given, /Go module path \(example\.com\/links\)/);
    expect(text).not.toMatch(/Project name/);
    await keys(given, "C-c");
    await until(given, /EXIT=130/);
    expect(await fs.readdir(cwd)).toEqual([]);
  });

  it.each([
    ["--module", ["--module", "example.com/a b"], /^create-gopher-project: invalid Go module path "example\.com\/a b": invalid char " "$/m],
    ["--name", ["--name", "Bad_Name"], /^create-gopher-project: invalid --name "Bad_Name": /m],
    ["a project option", ["--project", "url-shortener", "--http-port", "80"], /^create-gopher-project: --http-port must be an integer from 1024 to 65535$/m],
    ["another project's option", ["--project", "cli", "--http-port", "9000"], /^create-gopher-project: --http-port is an option of url-shortener, not of cli$/m],
  ])("refuses a bad %s flag before asking anything", async (_what, args, message) => {
    const cwd = await freshDir();
    const name = await open(["app", ...args, "--no-git", "--no-tidy"], { cwd });
    const text = await until(name, /EXIT=\d+/);
    expect(text).toMatch(message);
    expect(text).toMatch(/EXIT=1$/m);
    expect(text).not.toMatch(/\?/); // no question was asked
    expect(await fs.readdir(cwd)).toEqual([]);
  });

  it("defaults the directory to one that can take the project", async () => {
    const cwd = await freshDir();
    await fs.outputFile(path.join(cwd, "cli", "keep.txt"), "mine");
    await fs.outputFile(path.join(cwd, "cli-2"), "a file");
    const name = await open(["--project", "cli", "--no-git", "--no-tidy"], { cwd });
    await until(name, /\? Project directory \(cli-3\)/);
    await keys(name, "C-c");
    await until(name, /EXIT=130/);
  });

  it("spins with the elapsed time while go mod tidy runs, then keeps its line", async () => {
    const cwd = await freshDir();
    const bin = path.join(cwd, "bin");
    // A go that takes 1.5 s to tidy.
    await fs.outputFile(path.join(bin, "go"), '#!/bin/sh\n[ "$1" = version ] && { echo go version fake; exit 0; }\n[ "$1" = mod ] && sleep 1.5\nexit 0\n', { mode: 0o755 });
    const name = await open(["app", "--project", "cli", "--yes", "--no-git"], { cwd, env: [`PATH=${bin}:${process.env.PATH}`] });
    await until(name, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] go mod tidy \d+\.\ds$/m);
    const done = await until(name, /EXIT=0/);
    expect(done).toMatch(/^• rendered \d+ files\n• go mod tidy [12]\.\ds\n\nDone\./m);
    expect(done).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });
});
