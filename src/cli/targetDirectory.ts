import { constants } from "node:fs";
import path from "node:path";
import fs from "fs-extra";

import { Cancelled, heldSignal, startPlacing, startPreparing, throwIfCancelled } from "./cleanups.js";
import { UsageError } from "./flags.js";
import { errorCode, lstat, placeProject, quote, unplaceProject } from "./placeProject.js";

/**
 * Checks that the target can take a project before anything is written: not a file, not a
 * symbolic link, empty unless --force, and under a directory we may create entries in. Returns
 * the target if it exists, else its nearest existing ancestor: where to ask whether the project
 * lands inside a git repository.
 */
export async function checkTarget(target: string, force: boolean): Promise<string> {
  const entry = await lstat(target);
  if (entry?.isSymbolicLink()) throw new UsageError(await symlinkProblem(target));
  if (entry && !entry.isDirectory()) throw new UsageError(`${quote(target)} exists and is not a directory`);
  if (entry && !force && (await fs.readdir(target)).length > 0) {
    throw new UsageError(`${quote(target)} is not empty (use --force to write the project's files into it; nothing else is deleted)`);
  }
  let existing = target;
  let found = entry;
  while (!found) {
    existing = path.dirname(existing);
    found = await lstat(existing);
  }
  if (found.isSymbolicLink()) {
    const resolved = await fs.stat(existing).catch(() => undefined);
    if (!resolved?.isDirectory()) throw new UsageError(await symlinkProblem(existing));
  } else if (!found.isDirectory()) {
    throw new UsageError(`${quote(existing)} is not a directory`);
  }
  try {
    await fs.access(existing, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`cannot write to ${quote(existing)}: permission denied`);
  }
  return existing;
}

/**
 * A target that is a symbolic link is refused, whatever it points to: the link is never replaced,
 * and generating through it would stage the project beside the link but place it elsewhere,
 * maybe on another file system, under a name that is not its directory's.
 */
async function symlinkProblem(link: string): Promise<string> {
  const to = quote(await fs.readlink(link));
  const resolved = await fs.stat(link).catch((error: unknown) => errorCode(error) ?? "unknown error");
  if (typeof resolved === "string") {
    const why = resolved === "ENOENT" ? "which does not exist" : `which cannot be followed (${resolved})`;
    return `${quote(link)} is a symbolic link to ${to}, ${why}`;
  }
  if (!resolved.isDirectory()) return `${quote(link)} is a symbolic link to ${to}, which is not a directory`;
  return `${quote(link)} is a symbolic link (to ${to}): give the directory itself, or a path that does not exist yet`;
}

/**
 * Prepares the project in a staging directory beside the target, on the same file system, then
 * places it. `prepare` fills `dir` (rendering, go mod tidy, git). Placing is the last step and
 * all or nothing without --force: a missing target is created by one rename, an empty one is
 * claimed first, and a target that another run filled meanwhile is refused. Until placing
 * starts, a failure or a signal removes the staging directory and the parents this run created.
 */
export async function writeProject(target: string, force: boolean, prepare: (dir: string) => Promise<void>): Promise<void> {
  startPreparing();
  const created: string[] = [];
  let staging: string | undefined;
  let placed = false;
  try {
    staging = await makeStagingDir(target, created);
    throwIfCancelled();
    // A normally named directory inside the staging one: the go command skips directories whose
    // names begin with "." in ./..., and mkdir gives it the mode the umask says (mkdtemp: 0700).
    const dir = path.join(staging, path.basename(target));
    await fs.mkdir(dir);
    await prepare(dir);
    startPlacing();
    const placement = await placeProject(dir, target, force);
    // A signal held while placing: the run was interrupted, so it leaves the disk as it found
    // it, but for a --force merge into files that were there, which cannot be undone.
    const signal = heldSignal();
    if (signal && placement !== "merged") {
      await unplaceProject(target, placement);
      throw new Cancelled(signal);
    }
    placed = true;
  } finally {
    if (staging) await fs.remove(staging);
    if (!placed) await removeEmptyDirs(created.reverse());
  }
}

/** Creates the target's missing parents one by one, recording those this run created. */
async function makeStagingDir(target: string, created: string[]): Promise<string> {
  const parent = path.dirname(target);
  for (let attempt = 1; ; attempt++) {
    const missing: string[] = [];
    for (let dir = parent; !(await fs.pathExists(dir)); dir = path.dirname(dir)) missing.unshift(dir);
    for (const dir of missing) {
      try {
        await fs.mkdir(dir);
        created.push(dir);
      } catch (error) {
        if (errorCode(error) !== "EEXIST") throw error;
      }
    }
    try {
      return await fs.mkdtemp(path.join(parent, `.${path.basename(target)}.create-gopher-project-`));
    } catch (error) {
      // A racing run that failed may have removed a parent both runs wanted: make it again.
      if (errorCode(error) !== "ENOENT" || attempt === 3) throw error;
    }
  }
}

/** Removes directories, deepest first, while they are empty: never what another run placed. */
async function removeEmptyDirs(dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    try {
      await fs.rmdir(dir);
    } catch {
      return;
    }
  }
}
