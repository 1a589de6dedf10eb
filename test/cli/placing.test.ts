import os from "node:os";
import path from "node:path";
import fs from "fs-extra";
import { glob } from "tinyglobby";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

// A signal that arrives while the project is being placed, deterministically: the first rename
// of placing delivers it, as the CLI's handler would (cleanups.receive), before moving anything.
// cleanups.ts keeps the run's phase in module state, so each test imports it afresh.
let root: string;

beforeEach(async () => {
  vi.resetModules();
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-placing-"));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fs.remove(root);
});

const listing = () => glob(["**"], { cwd: root, dot: true, onlyFiles: false });

async function placeWithSignalDuringPlacing(target: string, force: boolean) {
  const { receive, heldSignal, Cancelled } = await import("../../src/cli/cleanups.js");
  const { writeProject } = await import("../../src/cli/targetDirectory.js");
  const rename: (from: string, to: string) => Promise<void> = fs.rename.bind(fs);
  let delivered = false;
  const renameDuringSignal = async (from: string, to: string) => {
    if (!delivered) {
      delivered = true;
      expect(receive("SIGINT"), "the signal is held, not acted on at once").toBe(false);
    }
    return rename(from, to);
  };
  vi.spyOn(fs, "rename").mockImplementation(renameDuringSignal as unknown as typeof fs.rename);
  const outcome = await writeProject(target, force, async (dir) => {
    await fs.outputFile(path.join(dir, "go.mod"), "module example.com/app\n");
    await fs.outputFile(path.join(dir, "cmd", "app", "main.go"), "package main\n");
  }).then(
    () => "placed",
    (error: unknown) => (error instanceof Cancelled ? `cancelled by ${error.signal}` : Promise.reject(error)),
  );
  expect(delivered, "the signal arrived while placing").toBe(true);
  return { outcome, held: heldSignal() };
}

describe("a signal while the project is being placed", () => {
  it("into a target the run creates: the placing is undone, parents included", async () => {
    const before = await listing();
    const { outcome } = await placeWithSignalDuringPlacing(path.join(root, "deep", "app"), false);
    expect(outcome).toBe("cancelled by SIGINT");
    expect(await listing()).toEqual(before);
  });

  it.each([false, true])("into an existing empty target (--force %s): it is emptied again and kept", async (force) => {
    await fs.ensureDir(path.join(root, "empty"));
    const before = await listing();
    const { outcome } = await placeWithSignalDuringPlacing(path.join(root, "empty"), force);
    expect(outcome).toBe("cancelled by SIGINT");
    expect(await listing()).toEqual(before);
  });

  it("with --force into a directory that held files: kept complete, the signal reported", async () => {
    await fs.outputFile(path.join(root, "busy", "notes.txt"), "mine");
    const { outcome, held } = await placeWithSignalDuringPlacing(path.join(root, "busy"), true);
    expect(outcome).toBe("placed");
    expect(held).toBe("SIGINT");
    expect((await listing()).sort()).toEqual(["busy/", "busy/cmd/", "busy/cmd/app/", "busy/cmd/app/main.go", "busy/go.mod", "busy/notes.txt"]);
  });
});
