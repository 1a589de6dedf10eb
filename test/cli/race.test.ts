import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { glob } from "tinyglobby";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { packedCli } from "../support/packedCli.js";

// Two runs racing into the same target: without --force, placing is all or nothing, so exactly
// one wins and the other writes nothing (no merged tree, no staging directory, no parents).
const { entry: cli } = await packedCli();
const projects = ["cli", "job-queue"] as const;
let root: string;
const expected = new Map<string, string[]>();

const run = (args: string[]) => execa("node", [cli, ...args], { cwd: root, reject: false, env: { CI: "" } });
const files = async (dir: string) => (await glob("**/*", { cwd: dir, dot: true, onlyFiles: true })).sort();

beforeAll(async () => {
  if (!(await fs.pathExists(cli))) throw new Error("build the CLI first: npm run build");
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-race-"));
  for (const project of projects) {
    const dry = await run(["app", "--project", project, "--dry-run"]);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expected.set(project, dry.stdout.split("\n").filter((line) => line.startsWith("  ")).map((line) => line.trim()).sort());
  }
});
afterAll(() => fs.remove(root));

describe("two runs into the same target", () => {
  it("exactly one wins each round; the other exits 1 with one line and leaves nothing", { timeout: 180_000 }, async () => {
    let raced = 0;
    for (let round = 0; round < 10; round++) {
      // Even rounds: the target's parents do not exist yet, and both runs create them.
      // Odd rounds: the target is an existing empty directory, which both runs may fill.
      const parent = path.join(root, `round-${round}`, "nested");
      const target = path.join(parent, "app");
      if (round % 2 === 1) await fs.ensureDir(target);
      const results = await Promise.all(projects.map((project) => run([target, "--project", project, "--no-git", "--no-tidy"])));
      const codes = results.map((result) => result.exitCode);
      expect(codes.toSorted(), `round ${round}: ${results.map((r) => r.stderr).join(" | ")}`).toEqual([0, 1]);
      const winner = projects[codes.indexOf(0)]!;
      const loser = results[codes.indexOf(1)]!;
      expect(loser.stderr.trim().split("\n")).toHaveLength(1);
      expect(loser.stderr).toMatch(/"[^"]*app" is not empty/);
      if (/while the project was being prepared/.test(loser.stderr)) raced++;
      expect(await files(target), `round ${round}`).toEqual(expected.get(winner));
      expect(await fs.readdir(parent), `round ${round}: leftovers`).toEqual(["app"]);
      expect((await fs.readdir(target)).filter((name) => name.includes("create-gopher-project")), `round ${round}`).toEqual([]);
    }
    // Rounds where both runs got past the first check and met at placing: the path under test.
    // Both runs start together, so most rounds race (7 of 10 here); none would mean the test
    // only ever exercised the early check.
    console.log(`rounds decided at placing: ${raced} of 10`);
    expect(raced, "rounds decided at placing").toBeGreaterThan(0);
  });
});
