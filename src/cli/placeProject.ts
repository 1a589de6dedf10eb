import type { Stats } from "node:fs";
import path from "node:path";
import fs from "fs-extra";

import { UsageError } from "./flags.js";

/** User input inside a message: quoted and escaped, so a message stays one line. */
export const quote = (text: string): string => JSON.stringify(text);

export const lstat = (file: string): Promise<Stats | undefined> => fs.lstat(file).catch(() => undefined);
export const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

const claimName = ".create-gopher-project-placing";

/**
 * How a tree was placed: it created the target, filled an empty one, or was merged (--force) into
 * one that held files already.
 */
export type Placement = "created" | "filled" | "merged";

/**
 * Moves the finished tree at dir to target, the last step of a run. Without --force it is all or
 * nothing: a missing target is created by one rename (which fails if another run placed its tree
 * first), and an existing empty one is claimed by an entry only one run can create. With --force
 * the tree is merged into the target.
 */
export async function placeProject(dir: string, target: string, force: boolean): Promise<Placement> {
  const filledMeanwhile = new UsageError(
    `${quote(target)} is not empty: something was written into it while the project was being prepared, so nothing was written (use --force to write the project's files into it)`,
  );
  const entry = await lstat(target);
  if (!entry) {
    try {
      await fs.rename(dir, target);
      return "created";
    } catch (error) {
      const code = errorCode(error);
      if (code === "ENOTDIR") throw new UsageError(`${quote(target)} exists and is not a directory`);
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      if (!force) throw filledMeanwhile;
    }
  } else if (!entry.isDirectory()) {
    throw new UsageError(`${quote(target)} exists and is not a directory`);
  }
  if (force) {
    const empty = (await fs.readdir(target)).length === 0;
    await mergeInto(dir, target);
    return empty ? "filled" : "merged";
  }
  // An existing empty directory is kept (it may be a shell's working directory) and claimed by
  // an entry only one run can create, then checked to hold nothing else.
  const claim = path.join(target, claimName);
  try {
    await fs.mkdir(claim);
  } catch (error) {
    throw errorCode(error) === "EEXIST" ? filledMeanwhile : error;
  }
  try {
    if ((await fs.readdir(target)).length !== 1) throw filledMeanwhile;
    await mergeInto(dir, target);
  } finally {
    await fs.rmdir(claim);
  }
  return "filled";
}

/**
 * Undoes a placement that created or filled the target, for a run interrupted while placing: the
 * target is removed, or emptied again. A merge into files that were there cannot be undone.
 */
export async function unplaceProject(target: string, placement: Exclude<Placement, "merged">): Promise<void> {
  if (placement === "created") {
    await fs.remove(target);
    return;
  }
  for (const name of await fs.readdir(target)) await fs.remove(path.join(target, name));
}

/**
 * Moves the tree at from into the directory to: entries to lacks are renamed whole, directories
 * both have are merged, and each file replaces its namesake. Nothing else in to is touched.
 */
async function mergeInto(from: string, to: string): Promise<void> {
  for (const name of await fs.readdir(from)) {
    const source = path.join(from, name);
    const dest = path.join(to, name);
    const existing = await lstat(dest);
    if (existing?.isDirectory() && (await fs.lstat(source)).isDirectory()) {
      await mergeInto(source, dest);
    } else if (existing) {
      await fs.move(source, dest, { overwrite: true });
    } else {
      await fs.rename(source, dest);
    }
  }
}
