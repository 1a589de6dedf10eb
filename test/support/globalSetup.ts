import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

import { skipLog } from "./environment.js";

/** Where this run packs and installs the CLI under test (test/support/packedCli.ts). */
let packDir: string | undefined;

/**
 * A run that skipped checks says so in its last lines, with what was missing and the command
 * that fixes it: a fresh clone on a laptop must not pass quietly with half the suite skipped.
 */
export function setup(project: TestProject): void {
  rmSync(skipLog, { force: true });
  // Outside the repository, so the installed CLI cannot find a library in its node_modules.
  packDir = mkdtempSync(path.join(os.tmpdir(), "create-gopher-project-pack-"));
  project.provide("packDir", packDir);
}

export function teardown(): void {
  if (packDir) rmSync(packDir, { recursive: true, force: true });
  if (!existsSync(skipLog)) return;
  const entries = readFileSync(skipLog, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { file: string; absent: string[] });
  const files = [...new Set(entries.map((e) => e.file))].sort();
  const absent = [...new Set(entries.flatMap((e) => e.absent))].sort();
  const fixes: string[] = [];
  if (absent.some((a) => a === "Go")) fixes.push("install Go (https://go.dev/dl/), then npm test again");
  if (absent.some((a) => /golangci-lint|actionlint/.test(a))) fixes.push("npm run tools");
  if (absent.some((a) => / on 127\.0\.0\.1:/.test(a))) fixes.push("start the services listed (README: Development)");
  if (absent.some((a) => a === "psql" || a === "tmux")) fixes.push("install the missing commands (Debian: apt-get install postgresql-client tmux)");
  const rule = "!".repeat(78);
  console.warn(
    [
      rule,
      `NOT EVERYTHING RAN: ${files.length} test file(s) skipped their checks: ${files.join(", ")}`,
      `missing: ${absent.join(", ")}`,
      `fix: ${fixes.join("; ")}`,
      rule,
    ].join("\n"),
  );
}
