import os from "node:os";
import path from "node:path";
import { execa, type ResultPromise } from "execa";
import fs from "fs-extra";
import { glob } from "tinyglobby";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { packedCli } from "../support/packedCli.js";

// An interrupted run leaves the disk as it found it. Fake `go` and `git` first on PATH sleep
// where the real ones would work (go mod tidy, git init), so each moment is reached for sure;
// they leave a mark with their pid when they start sleeping.
const { entry: cli } = await packedCli();
const codes = { SIGINT: 130, SIGTERM: 143 } as const;
type Signal = keyof typeof codes;
let root: string;
let bin: string;
let marks: string;
let projectFiles: string[];

const fakeGo = `#!/bin/sh
[ "$1" = version ] && { echo "go version fake"; exit 0; }
[ "$1" = mod ] || exit 0
trap 'kill $sleeper 2>/dev/null; exit 143' TERM INT
echo $$ > "$FAKE_MARKS/.go" && mv "$FAKE_MARKS/.go" "$FAKE_MARKS/go-mod-tidy"
sleep "$FAKE_GO_SLEEP" & sleeper=$!
wait $sleeper
`;
const fakeGit = `#!/bin/sh
if [ "$1" = init ]; then
  trap 'kill $sleeper 2>/dev/null; exit 143' TERM INT
  echo $$ > "$FAKE_MARKS/.git" && mv "$FAKE_MARKS/.git" "$FAKE_MARKS/git-init"
  sleep "$FAKE_GIT_SLEEP" & sleeper=$!
  wait $sleeper
fi
exec "$REAL_GIT" "$@"
`;

const gitIdentity = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_COUNT: "2",
  GIT_CONFIG_KEY_0: "user.name",
  GIT_CONFIG_VALUE_0: "Gopher",
  GIT_CONFIG_KEY_1: "user.email",
  GIT_CONFIG_VALUE_1: "gopher@example.com",
};

function start(cwd: string, args: string[], sleeps: { go: number; git: number }): ResultPromise<{ reject: false }> {
  return execa("node", [cli, ...args], {
    cwd,
    reject: false,
    env: {
      ...gitIdentity,
      CI: "",
      PATH: `${bin}:${process.env.PATH}`,
      REAL_GIT: "/usr/bin/git",
      FAKE_MARKS: marks,
      FAKE_GO_SLEEP: String(sleeps.go),
      FAKE_GIT_SLEEP: String(sleeps.git),
    },
  }) as ResultPromise<{ reject: false }>;
}

async function until(what: string, found: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await found())) {
    if (Date.now() > deadline) throw new Error(`never saw ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const files = async (dir: string) => (await glob("**/*", { cwd: dir, dot: true, onlyFiles: true })).sort();
const entries = async (dir: string) => (await fs.readdir(dir, { recursive: true })).map(String).sort();

let caseNumber = 0;
/** A fresh directory holding one file, so "as before" is more than "empty". */
async function freshCase(): Promise<{ dir: string; before: string[] }> {
  const dir = path.join(root, `case-${caseNumber++}`);
  await fs.outputFile(path.join(dir, "keep.txt"), "mine");
  await fs.emptyDir(marks);
  return { dir, before: await entries(dir) };
}

beforeAll(async () => {
  if (!(await fs.pathExists(cli))) throw new Error("build the CLI first: npm run build");
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-interrupt-"));
  bin = path.join(root, "bin");
  marks = path.join(root, "marks");
  await fs.outputFile(path.join(bin, "go"), fakeGo, { mode: 0o755 });
  await fs.outputFile(path.join(bin, "git"), fakeGit, { mode: 0o755 });
  await fs.ensureDir(marks);
  const dry = await execa("node", [cli, "app", "--project", "cli", "--dry-run"], { cwd: root });
  projectFiles = dry.stdout.split("\n").filter((line) => line.startsWith("  ")).map((line) => line.trim()).sort();
});
afterAll(() => fs.remove(root));

describe.each(["SIGINT", "SIGTERM"] as const)("%s", (signal: Signal) => {
  it("while rendering: exits with its code, and the parents it created are gone", async () => {
    const { dir, before } = await freshCase();
    // Three parents that do not exist yet.
    const parent = path.join(dir, "a", "b", "c");
    const run = start(dir, ["a/b/c/app", "--project", "cli"], { go: 30, git: 30 });
    await until("the staging directory", async () => ((await fs.readdir(parent).catch(() => [])) as string[]).some((f) => f.startsWith(".app.create-gopher-project-")));
    run.kill(signal);
    const result = await run;
    expect(result.exitCode, result.stderr).toBe(codes[signal]);
    expect(await entries(dir)).toEqual(before);
    expect(await fs.readdir(marks)).toEqual([]); // stopped before go mod tidy
    expect(result.stderr.trim()).toBe(`create-gopher-project: cancelled by ${signal}: nothing was written`);
  });

  it.each([
    ["go mod tidy", "go-mod-tidy", { go: 30, git: 30 }],
    ["git init", "git-init", { go: 0, git: 30 }],
  ])("during %s: kills the child, waits for it, and leaves nothing", async (_step, mark, sleeps) => {
    const { dir, before } = await freshCase();
    const run = start(dir, ["x/app", "--project", "cli"], sleeps);
    await until(mark, () => fs.pathExists(path.join(marks, mark)));
    const child = Number(await fs.readFile(path.join(marks, mark), "utf8"));
    expect(alive(child)).toBe(true);
    run.kill(signal);
    const result = await run;
    expect(result.exitCode, result.stderr).toBe(codes[signal]);
    expect(await entries(dir)).toEqual(before);
    expect(alive(child)).toBe(false);
    expect(result.stderr.trim().split("\n").at(-1)).toBe(`create-gopher-project: cancelled by ${signal}: nothing was written`);
  });
});

describe("a signal at a random moment", () => {
  it("either the run finished, or the disk is as it was", { timeout: 180_000 }, async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 10; round++) {
      const signal: Signal = round % 2 === 0 ? "SIGINT" : "SIGTERM";
      const { dir, before } = await freshCase();
      const target = path.join(dir, "deep", "app");
      const run = start(dir, ["deep/app", "--project", "cli"], { go: 0.1, git: 0.1 });
      // A whole run takes about 1.5 s here: the delays cover start-up, rendering, tidy, git and the end.
      const delay = Math.random() * 2500;
      await new Promise((resolve) => setTimeout(resolve, delay));
      run.kill(signal);
      const result = await run;
      const what = `round ${round}, ${signal} after ${Math.round(delay)} ms: exit ${result.exitCode ?? result.signal}, ${result.stderr}`;
      if (result.exitCode === 0) {
        // Finished before the signal: the whole project is there.
        expect(await files(target), what).toEqual(expect.arrayContaining(projectFiles));
        const log = await execa("git", ["log", "--oneline"], { cwd: target, env: gitIdentity });
        expect(log.stdout, what).toMatch(/Initial commit/);
        outcomes.push("finished");
      } else {
        // Cancelled by the CLI (a signal held while placing included: the placing is undone), or
        // killed by the signal before its handler was installed.
        expect(result.exitCode ?? result.signal, what).toBe(result.exitCode === undefined ? signal : codes[signal]);
        expect(await entries(dir), what).toEqual(before);
        outcomes.push("cancelled");
      }
    }
    console.log(`random signals: ${outcomes.join(", ")}`);
  });
});
