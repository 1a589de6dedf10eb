import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { glob } from "tinyglobby";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { catalogue } from "../../src/specs/catalogue.js";

// npm pack drops some dotfiles from a package: prove the published tarball generates the same
// tree as the source, dotfiles included.
let root: string;
let bin: string;

const digest = async (dir: string) => {
  const files = (await glob("**/*", { cwd: dir, dot: true, ignore: [".git/**"] })).sort();
  const sums = await Promise.all(
    files.map(async (f) => `${f} ${createHash("sha256").update(await fs.readFile(path.join(dir, f))).digest("hex")}`),
  );
  return sums;
};

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-pack-"));
  const packed = await execa("npm", ["pack", "--silent", "--pack-destination", root], { env: { npm_config_loglevel: "error" } });
  const tarball = path.join(root, packed.stdout.trim().split("\n").pop()!);
  await execa("npm", ["install", "--prefix", path.join(root, "install"), "--no-audit", "--no-fund", "--omit=dev", tarball]);
  bin = path.join(root, "install", "node_modules", ".bin", "create-gopher-project");
}, 300_000);
afterAll(() => fs.remove(root));

describe("the packed tarball", () => {
  it.each(catalogue().map((spec) => spec.id))("generates %s exactly as the source tree does", async (id) => {
    const args = ["--project", id, "--yes", "--no-tidy", "--no-git", "--module", "example.com/acme/packed"];
    const fromPack = await execa(bin, [path.join(root, "a", "packed"), ...args], { reject: false });
    expect(fromPack.exitCode, fromPack.stderr).toBe(0);
    const fromSource = await execa("node", ["dist/src/cli/index.js", path.join(root, "b", "packed"), ...args], { reject: false });
    expect(fromSource.exitCode, fromSource.stderr).toBe(0);

    const packedTree = await digest(path.join(root, "a", "packed"));
    expect(packedTree.map((line) => line.split(" ")[0])).toEqual(
      expect.arrayContaining([".gitignore", ".golangci.yml", ".github/workflows/ci.yml", ".gopher-project.json"]),
    );
    expect(packedTree).toEqual(await digest(path.join(root, "b", "packed")));
    await fs.remove(path.join(root, "a"));
    await fs.remove(path.join(root, "b"));
  });
});
