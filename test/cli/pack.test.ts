import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { glob } from "tinyglobby";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { completeAnswers } from "../../src/core/answers.js";
import { generateProject } from "../../src/core/generateProject.js";
import { catalogue } from "../../src/specs/catalogue.js";
import { packedCli, type PackedCli } from "../support/packedCli.js";

// The published package is what users run: the tarball npm pack makes, installed into an empty
// directory. It bundles its libraries (no runtime dependencies), stays small, runs nothing at
// install, and generates exactly what the generation core does, dotfiles and modes included.
let packed: PackedCli;
let root: string;

const maxUnpackedBytes = 2 * 1024 * 1024;
const installHooks = ["preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare"];

/** Every file of a tree with its mode's executable bit and its bytes' digest, sorted. */
const digest = async (dir: string): Promise<string[]> => {
  const files = (await glob("**/*", { cwd: dir, dot: true, ignore: [".git/**"] })).sort();
  return Promise.all(
    files.map(async (file) => {
      const full = path.join(dir, file);
      const executable = ((await fs.stat(full)).mode & 0o111) !== 0;
      return `${file} ${executable ? "x" : "-"} ${createHash("sha256").update(await fs.readFile(full)).digest("hex")}`;
    }),
  );
};

beforeAll(async () => {
  packed = await packedCli();
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-pack-"));
}, 600_000);
afterAll(() => root && fs.remove(root));

describe("the packed tarball", () => {
  it("has no runtime dependencies and runs nothing at install", async () => {
    const manifest = (await fs.readJson(path.join(packed.packageDir, "package.json"))) as Record<string, unknown>;
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies", "bundledDependencies"]) {
      expect(manifest[field] ?? {}, field).toEqual({});
    }
    const scripts = Object.keys((manifest.scripts ?? {}) as Record<string, string>);
    // npm runs prepare in a clone (npm ci builds) and before packing, never when it installs a
    // tarball or a registry package: packedCli's install would fail, with no compiler to run.
    expect(scripts.filter((name) => installHooks.includes(name) && name !== "prepare")).toEqual([]);
    expect(await fs.pathExists(path.join(packed.packageDir, "binding.gyp"))).toBe(false);
    // Nothing but the package itself was installed.
    const installed = (await fs.readdir(path.join(packed.installDir, "node_modules"))).filter((name) => !name.startsWith("."));
    expect(installed).toEqual(["create-gopher-project"]);
  });

  it("ships the bundled CLI with its templates inside, no maintainer scripts, within 2 MiB unpacked", async () => {
    const files = await glob("**/*", { cwd: packed.packageDir, dot: true });
    // The templates are in the bundle (plain files in one brotli blob a layer): no templates/.
    const outside = files.filter((file) => !/^dist\/cli\//.test(file) && !["package.json", "README.md", "LICENSE"].includes(file));
    expect(outside).toEqual([]);
    const sizes = await Promise.all(files.map(async (file) => (await fs.stat(path.join(packed.packageDir, file))).size));
    const unpacked = sizes.reduce((sum, size) => sum + size, 0);
    expect(unpacked, `${(unpacked / 1024 / 1024).toFixed(2)} MiB`).toBeLessThanOrEqual(maxUnpackedBytes);
  });

  it.each(catalogue().map((spec) => [spec.id, spec] as const))("generates %s exactly as the generation core does", async (id, spec) => {
    const module = "example.com/acme/packed";
    const args = ["--project", id, "--yes", "--no-tidy", "--no-git", "--module", module];
    const fromPack = await execa("node", [packed.entry, path.join(root, "a", "packed"), ...args], { reject: false });
    expect(fromPack.exitCode, fromPack.stderr).toBe(0);
    await generateProject(spec, completeAnswers(spec, { name: "packed", module }), path.join(root, "b", "packed"));

    const packedTree = await digest(path.join(root, "a", "packed"));
    expect(packedTree.map((line) => line.split(" ")[0])).toEqual(
      expect.arrayContaining([".gitignore", ".golangci.yml", ".github/workflows/ci.yml", ".gopher-project.json"]),
    );
    expect(packedTree).toEqual(await digest(path.join(root, "b", "packed")));
    await fs.remove(path.join(root, "a"));
    await fs.remove(path.join(root, "b"));
  });

  // The CLI keeps V8's compiled code in the temp directory between runs (src/cli/compileCache.ts).
  it("keeps its compiled code between runs, and runs the same with a damaged cache or none", async () => {
    const list = async (env: Record<string, string>) => {
      const result = await execa("node", [packed.entry, "--list"], { env, reject: false });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toBe("");
      return result.stdout;
    };
    const files = async (dir: string) => glob("**/*", { cwd: dir, dot: true });
    const tmp = await fs.mkdtemp(path.join(root, "tmp-"));
    const expected = await list({ TMPDIR: tmp });
    const cached = await files(tmp);
    expect(cached.length).toBeGreaterThan(0);
    expect(await list({ TMPDIR: tmp })).toBe(expected);
    // Whatever V8 makes of a damaged cache file, the run compiles the code again.
    for (const file of cached) await fs.writeFile(path.join(tmp, file), "not V8's cached data");
    expect(await list({ TMPDIR: tmp })).toBe(expected);

    // One file: a run that loads more chunks adds theirs and keeps the others; a run that
    // compiled nothing new leaves it as it is.
    const union = await fs.mkdtemp(path.join(root, "tmp-"));
    const cacheSize = async () => {
      const [file, ...more] = await files(union);
      expect(more).toEqual([]);
      return (await fs.stat(path.join(union, file!))).size;
    };
    await list({ TMPDIR: union });
    const listOnly = await cacheSize();
    const version = await execa("node", [packed.entry, "--version"], { env: { TMPDIR: union } });
    expect(version.exitCode).toBe(0);
    const both = await cacheSize();
    expect(both).toBeGreaterThan(listOnly);
    await list({ TMPDIR: union });
    expect(await cacheSize()).toBe(both);

    const off = await fs.mkdtemp(path.join(root, "tmp-"));
    expect(await list({ TMPDIR: off, NODE_DISABLE_COMPILE_CACHE: "1" })).toBe(expected);
    expect(await files(off)).toEqual([]);
  });
});
