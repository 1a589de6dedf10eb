import path from "node:path";
import { execa, type Options } from "execa";
import fs from "fs-extra";
import { glob } from "tinyglobby";
import { parseAllDocuments } from "yaml";
import { validate as validateDockerfile } from "dockerfile-utils";
import { expect } from "vitest";

import { parseGoVersions } from "../../src/core/goToolchain.js";
import { childEnv } from "./environment.js";

/**
 * The checks every generated repository must pass, as a staff engineer's CI would run them.
 * Each throws (with the tool's output) when the repository fails it.
 */
// -mod=readonly (the default, said out loud): a go command that wants to edit go.mod fails the ladder.
const goEnv = { GOFLAGS: "-mod=readonly", CGO_ENABLED: "1" };

/**
 * GOTOOLCHAIN for a command run in dir: exactly the release its go.mod's toolchain line pins
 * (downloaded through the module proxy once), never whichever Go the machine has, even a newer
 * one, which GOTOOLCHAIN=auto would keep. Outside a module, or in one without a toolchain line (a
 * template module, which go.work's line governs): auto.
 */
async function pinnedToolchain(dir: string | URL | undefined): Promise<string> {
  if (dir === undefined) return "auto";
  const gomod = await fs.readFile(path.join(String(dir), "go.mod"), "utf8").catch(() => "");
  return /^toolchain (go\d+\.\d+\.\d+)$/m.exec(gomod)?.[1] ?? "auto";
}

export async function sh(command: string, args: string[], options: Options = {}) {
  const env = childEnv({ ...goEnv, GOTOOLCHAIN: await pinnedToolchain(options.cwd), ...(options.env as Record<string, string> | undefined) });
  const result = await execa(command, args, { reject: false, all: true, ...options, env, extendEnv: false });
  if (result.exitCode !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (exit ${result.exitCode}):\n${failureDigest(String(result.all))}${String(result.all).slice(-8000)}`);
  }
  return result;
}

/**
 * A long output's lines that say what failed (go test's `--- FAIL`, a test's file:line message, a
 * panic), which its last 8000 characters may no longer hold: a verbose integration run prints
 * far more after a failure than before it.
 */
function failureDigest(output: string): string {
  if (output.length <= 8000) return "";
  const lines = output.split("\n").filter((line) => /^\s*--- FAIL|^FAIL\b|^panic:|^\s+\S+_test\.go:\d+:/.test(line));
  return lines.length === 0 ? "" : `what failed:\n${lines.join("\n").slice(0, 6000)}\n\nthe output's end:\n`;
}

/** The go command in dir runs exactly the release go.mod's toolchain line names. */
export async function expectPinnedToolchain(dir: string): Promise<void> {
  const { toolchain } = parseGoVersions(await fs.readFile(path.join(dir, "go.mod"), "utf8"));
  const { stdout } = await sh("go", ["env", "GOVERSION"], { cwd: dir });
  expect(String(stdout).trim()).toBe(`go${toolchain}`);
}

/** go mod tidy must change nothing: the emitted go.mod and go.sum are already what tidy writes. */
export async function expectTidyNoop(dir: string): Promise<void> {
  const before = await Promise.all(["go.mod", "go.sum"].map((f) => fs.readFile(path.join(dir, f), "utf8")));
  await sh("go", ["mod", "tidy"], { cwd: dir });
  const after = await Promise.all(["go.mod", "go.sum"].map((f) => fs.readFile(path.join(dir, f), "utf8")));
  expect(after[0], "go.mod changed under go mod tidy").toBe(before[0]);
  expect(after[1], "go.sum changed under go mod tidy").toBe(before[1]);
}

export async function expectGofmtClean(dir: string): Promise<void> {
  const { stdout } = await sh("gofmt", ["-l", "."], { cwd: dir });
  expect(String(stdout).trim(), "files gofmt would change").toBe("");
}

export async function vet(dir: string, tags: string[] = []): Promise<void> {
  await sh("go", ["vet", ...(tags.length ? ["-tags", tags.join(",")] : []), "./..."], { cwd: dir });
}

export async function lint(dir: string, golangciLint: string, tags: string[] = []): Promise<void> {
  await sh(golangciLint, ["run", "--allow-serial-runners", ...(tags.length ? ["--build-tags", tags.join(",")] : []), "./..."], { cwd: dir });
}

export async function raceTests(dir: string, env: Record<string, string> = {}, tags: string[] = []) {
  const verbose = tags.length > 0 ? ["-v"] : [];
  return sh("go", ["test", "-race", "-count=1", ...verbose, ...(tags.length ? ["-tags", tags.join(",")] : []), "./..."], {
    cwd: dir,
    env: { ...goEnv, ...env },
    timeout: 15 * 60_000,
  });
}

/**
 * Builds the binaries with exactly the `go build` line the Dockerfile runs (no Docker engine
 * here), into outDir; proves the image's build is static and works.
 */
export async function buildLikeDockerfile(dir: string, outDir: string, version = "e2e"): Promise<string> {
  const dockerfile = await fs.readFile(path.join(dir, "Dockerfile"), "utf8");
  const match = /(CGO_ENABLED=0) go build (.+) -o \/out\/ (\.\/cmd\/\.\.\.)/.exec(dockerfile.replace(/\\\n/g, " "));
  if (!match) throw new Error("the Dockerfile has no `CGO_ENABLED=0 go build … -o /out/ ./cmd/...` line");
  const flags = match[2]!.replace("${VERSION}", version);
  const args = [...flags.match(/-ldflags="[^"]*"|\S+/g)!].map((a) => a.replace(/^(-ldflags=)"(.*)"$/, "$1$2"));
  await fs.ensureDir(outDir);
  await sh("go", ["build", ...args, "-o", `${outDir}/`, match[3]!], { cwd: dir, env: { ...goEnv, CGO_ENABLED: "0" } });
  return match[0];
}

/**
 * The files that are not Go: workflow (actionlint), Dockerfile (lint), every YAML parses, make help.
 * notYaml: globs of .yaml files that are templates of YAML, not YAML (a Helm chart's templates/).
 */
export async function checkNonGoFiles(dir: string, actionlint: string, { notYaml = [] }: { notYaml?: string[] } = {}): Promise<void> {
  const workflows = await glob(".github/workflows/*.{yml,yaml}", { cwd: dir, dot: true });
  expect(workflows.length).toBeGreaterThan(0);
  await sh(actionlint, ["-no-color", ...workflows], { cwd: dir });

  if (await fs.pathExists(path.join(dir, "Dockerfile"))) {
    const problems = validateDockerfile(await fs.readFile(path.join(dir, "Dockerfile"), "utf8"));
    expect(problems.map((p) => `${p.range.start.line + 1}: ${p.message}`), "Dockerfile lint").toEqual([]);
  }

  const yamlFiles = await glob(["**/*.yml", "**/*.yaml", ".golangci.yml", ".github/**/*.yml"], { cwd: dir, dot: true, ignore: notYaml });
  expect(yamlFiles.length).toBeGreaterThan(0);
  for (const file of yamlFiles) {
    for (const doc of parseAllDocuments(await fs.readFile(path.join(dir, file), "utf8"))) {
      expect(doc.errors.map((e) => `${file}: ${e.message}`)).toEqual([]);
    }
  }

  const help = await sh("make", ["help"], { cwd: dir });
  for (const target of ["build", "test", "lint"]) expect(help.stdout).toMatch(new RegExp(`^\\s+${target}\\s`, "m"));

  // Without a Docker engine or its compose plugin (this machine has the client only), `make up` and
  // `make up-all` say so in one line, before docker runs.
  const docker = await execa("sh", ["-c", "docker info && docker compose version"], { reject: false });
  if (/^\s+up\s/m.test(String(help.stdout)) && docker.exitCode !== 0) {
    for (const target of ["up", "up-all"]) {
      const up = await execa("make", ["--no-print-directory", target], { cwd: dir, reject: false, all: true });
      expect(up.exitCode).not.toBe(0);
      expect(String(up.all).trim().split("\n"), `make ${target} without Docker`).toEqual([
        expect.stringMatching(new RegExp(`\\*\\*\\* make ${target} needs Docker with a running engine and the compose plugin; without Docker, run .+ yourself`)),
      ]);
    }
  }
}
