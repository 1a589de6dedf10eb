import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

import { skipLog, skipSummary, type SkipEntry } from "./environment.js";

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
    .map((line) => JSON.parse(line) as SkipEntry);
  console.warn(skipSummary(entries).join("\n"));
}
