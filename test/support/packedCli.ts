import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's empty directory outside the repository, from globalSetup: the CLI is packed into it once. */
    packDir: string;
  }
}

export interface PackedCli {
  /** The tarball `npm pack` made. */
  tarball: string;
  /** The directory it was installed into, as a user's project would be. */
  installDir: string;
  /** The installed package's folder. */
  packageDir: string;
  /** The installed CLI's entry file, to run with node. */
  entry: string;
}

/**
 * The CLI as its users get it: the tarball `npm pack` makes (its prepare script builds the bundle
 * first), installed with npm into an empty directory without dev dependencies. Made once per test
 * run, by the first test file that asks, and shared by every test file of the run.
 */
export async function packedCli(): Promise<PackedCli> {
  const dir = path.join(inject("packDir"), "cli");
  const done = path.join(dir, "packed.json");
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another test file of this run packs (or packed) it: wait for its result.
    for (let waited = 0; waited < 600_000; waited += 200) {
      const ready = await readFile(done, "utf8").catch(() => undefined);
      if (ready) return JSON.parse(ready) as PackedCli;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`no packed CLI appeared in ${dir}`);
  }
  const env = { npm_config_loglevel: "error", npm_config_fund: "false", npm_config_audit: "false" };
  await execa("npm", ["pack", "--pack-destination", dir], { env, stdin: "ignore", stdout: "ignore" });
  const tarball = path.join(dir, (await readdir(dir)).find((file) => file.endsWith(".tgz"))!);
  // The installed package finds no library of the repository's node_modules from there.
  const installDir = path.join(dir, "install");
  await mkdir(installDir);
  await writeFile(path.join(installDir, "package.json"), `${JSON.stringify({ name: "user-project", private: true })}\n`);
  await execa("npm", ["install", "--omit=dev", tarball], { cwd: installDir, env, stdin: "ignore" });
  const packageDir = path.join(installDir, "node_modules", "create-gopher-project");
  const bin = JSON.parse(await readFile(path.join(packageDir, "package.json"), "utf8")) as { bin: Record<string, string> };
  const packed: PackedCli = { tarball, installDir, packageDir, entry: path.join(packageDir, bin.bin["create-gopher-project"]!) };
  await writeFile(done, JSON.stringify(packed));
  return packed;
}
