import { execa } from "execa";

export interface StepReporter {
  step(message: string): void;
  warn(message: string): void;
}

const goInstallHint = "install Go from https://go.dev/dl/ and run `go mod tidy` in the project";

async function hasCommand(command: string): Promise<boolean> {
  const result = await execa(command, ["version"], { reject: false });
  return result.exitCode === 0 && !result.failed;
}

/** go mod tidy, then a gofmt check. A missing Go toolchain is a warning: the files still stand. */
export async function tidyGoModule(dir: string, report: StepReporter): Promise<void> {
  if (!(await hasCommand("go"))) {
    report.warn(`Go is not installed, so go mod tidy was skipped: ${goInstallHint}`);
    return;
  }
  report.step("go mod tidy");
  const tidy = await execa("go", ["mod", "tidy"], { cwd: dir, reject: false });
  if (tidy.exitCode !== 0) {
    report.warn(`go mod tidy failed (the files are written; run it again once the module proxy is reachable):\n${tidy.stderr}`);
    return;
  }
  const gofmt = await execa("gofmt", ["-l", "."], { cwd: dir, reject: false });
  if (gofmt.exitCode === 0 && gofmt.stdout.trim() !== "") {
    report.warn(`gofmt would reformat: ${gofmt.stdout.trim().split("\n").join(", ")}`);
  }
}

/**
 * git init and a first commit. Without a configured identity the repository is initialised but
 * not committed; inside an existing repository nothing is done.
 */
export async function initGitRepository(dir: string, report: StepReporter): Promise<void> {
  if (!(await hasCommand("git"))) {
    report.warn("git is not installed, so no repository was initialised");
    return;
  }
  const inside = await execa("git", ["rev-parse", "--is-inside-work-tree"], { cwd: dir, reject: false });
  if (inside.exitCode === 0) {
    report.warn("already inside a git repository: left it as it is");
    return;
  }
  report.step("git init");
  await execa("git", ["init", "--quiet", "--initial-branch=main"], { cwd: dir });
  const identity = await Promise.all(
    ["user.name", "user.email"].map((key) => execa("git", ["config", key], { cwd: dir, reject: false })),
  );
  if (identity.some((result) => result.exitCode !== 0 || result.stdout.trim() === "")) {
    report.warn("no git identity configured (git config user.name / user.email): initialised without a first commit");
    return;
  }
  await execa("git", ["add", "--all"], { cwd: dir });
  await execa("git", ["commit", "--quiet", "--message", "Initial commit from create-gopher-project"], { cwd: dir });
  report.step("first commit");
}
