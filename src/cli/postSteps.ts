import { execa, type Options } from "execa";

import { cancelSignal, throwIfCancelled } from "./cleanups.js";

export interface StepReporter {
  step(message: string): void;
  warn(message: string): void;
}

const goInstallHint = "install Go from https://go.dev/dl/ and run `go mod tidy` in the project";

/**
 * Runs a command to its end, never throwing for its exit status. A signal to the CLI kills it;
 * once it has exited, the run stops with Cancelled.
 */
async function exec(command: string, args: string[], options: Options = {}) {
  const result = await execa(command, args, { ...options, reject: false, cancelSignal });
  throwIfCancelled();
  return result;
}

async function hasCommand(command: string): Promise<boolean> {
  const result = await exec(command, ["version"]);
  return result.exitCode === 0 && !result.failed;
}

const firstLine = (text: unknown): string => String(text ?? "").trim().split("\n")[0] ?? "";

/** go mod tidy, then a gofmt check. A missing Go toolchain is a warning: the files still stand. */
export async function tidyGoModule(dir: string, report: StepReporter): Promise<void> {
  if (!(await hasCommand("go"))) {
    report.warn(`Go is not installed, so go mod tidy was skipped: ${goInstallHint}`);
    return;
  }
  report.step("go mod tidy");
  const tidy = await exec("go", ["mod", "tidy"], { cwd: dir });
  if (tidy.exitCode !== 0) {
    report.warn(`go mod tidy failed (the files are written; run it again once the module proxy is reachable):\n${String(tidy.stderr)}`);
    return;
  }
  const gofmt = await exec("gofmt", ["-l", "."], { cwd: dir });
  const unformatted = String(gofmt.stdout ?? "").trim();
  if (gofmt.exitCode === 0 && unformatted !== "") {
    report.warn(`gofmt would reformat: ${unformatted.split("\n").join(", ")}`);
  }
}

/**
 * git init and a first commit in dir. Without a configured identity the repository is
 * initialised but not committed. When the place the project lands in (lookFrom: the target, or
 * its nearest existing ancestor) is inside a repository already, nothing is done.
 */
export async function initGitRepository(dir: string, lookFrom: string, report: StepReporter): Promise<void> {
  if (!(await hasCommand("git"))) {
    report.warn("git is not installed, so no repository was initialised");
    return;
  }
  const inside = await exec("git", ["rev-parse", "--is-inside-work-tree"], { cwd: lookFrom });
  if (inside.exitCode === 0) {
    report.warn("already inside a git repository: left it as it is");
    return;
  }
  report.step("git init");
  const init = await exec("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  if (init.exitCode !== 0) {
    report.warn(`git init failed, so no repository was initialised: ${firstLine(init.stderr)}`);
    return;
  }
  const identity = await Promise.all(["user.name", "user.email"].map((key) => exec("git", ["config", key], { cwd: dir })));
  if (identity.some((result) => result.exitCode !== 0 || String(result.stdout ?? "").trim() === "")) {
    report.warn("no git identity configured (git config user.name / user.email): initialised without a first commit");
    return;
  }
  for (const args of [["add", "--all"], ["commit", "--quiet", "--message", "Initial commit from create-gopher-project"]]) {
    const result = await exec("git", args, { cwd: dir });
    if (result.exitCode !== 0) {
      report.warn(`git ${args[0]} failed, so the repository has no first commit: ${firstLine(result.stderr)}`);
      return;
    }
  }
  report.step("first commit");
}
