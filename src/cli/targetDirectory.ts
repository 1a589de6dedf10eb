import { constants } from "node:fs";
import path from "node:path";
import fs from "fs-extra";

import { cleanups } from "./cleanups.js";
import { UsageError } from "./parseArgs.js";

/**
 * Checks that the target can take a project before anything is written: not a file, empty
 * unless --force, and under a directory we may create entries in.
 */
export async function checkTarget(target: string, force: boolean): Promise<void> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (stat && !stat.isDirectory()) throw new UsageError(`${target} exists and is not a directory`);
  if (stat && !force && (await fs.readdir(target)).length > 0) {
    throw new UsageError(`${target} is not empty (use --force to write the project's files into it; nothing else is deleted)`);
  }
  let existing = stat ? target : path.dirname(target);
  while (!(await fs.pathExists(existing))) existing = path.dirname(existing);
  const parent = stat ? target : existing;
  if (!(await fs.stat(parent)).isDirectory()) throw new UsageError(`${parent} is not a directory`);
  try {
    await fs.access(parent, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`cannot write to ${parent}: permission denied`);
  }
}

/**
 * Makes a staging directory beside the target, on the same file system, so the finished tree
 * can be renamed into place in one step.
 */
async function makeStagingDir(target: string): Promise<string> {
  const parent = path.dirname(target);
  await fs.ensureDir(parent);
  return fs.mkdtemp(path.join(parent, `.${path.basename(target)}.create-gopher-project-`));
}

/**
 * Moves a finished tree into place. A missing or empty target is replaced by a rename; with
 * --force, each file is moved over its namesake and nothing else in the target is touched.
 */
async function moveIntoPlace(staging: string, files: string[], target: string): Promise<void> {
  const existing = await fs.readdir(target).catch(() => undefined);
  if (existing === undefined || existing.length === 0) {
    if (existing) await fs.rmdir(target);
    await fs.rename(staging, target);
    return;
  }
  for (const file of files) {
    await fs.move(path.join(staging, file), path.join(target, file), { overwrite: true });
  }
  await fs.remove(staging);
}

/**
 * Renders into a staging directory and moves the result into place only once it is complete:
 * a failure, or a signal while rendering, leaves the target as it was.
 */
export async function writeProject(target: string, render: (staging: string) => Promise<string[]>): Promise<string[]> {
  const created = await firstMissingAncestor(path.dirname(target));
  const staging = await makeStagingDir(target);
  cleanups.add(staging);
  try {
    const files = await render(staging);
    await moveIntoPlace(staging, files, target);
    return files;
  } catch (error) {
    if (created) await fs.remove(created);
    throw error;
  } finally {
    await fs.remove(staging);
    cleanups.delete(staging);
  }
}

/** The outermost directory on the way to dir that does not exist yet (what we would create). */
async function firstMissingAncestor(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  while (!(await fs.pathExists(dir))) {
    missing = dir;
    dir = path.dirname(dir);
  }
  return missing;
}
