import fs from "fs-extra";
import { glob } from "tinyglobby";

import { defineProjectGenerator, registerActionTypes } from "../../generators/projectGenerator.js";
import { lockFor } from "../specs/catalogue.js";
import type { ProjectSpec } from "../specs/schema.js";
import type { Answers } from "./answers.js";
import { templatesDir } from "./packageInfo.js";
import { manifest, templateContext } from "./templateContext.js";

/**
 * The generation core: renders the project described by spec and answers into destDir, which
 * must not exist or be empty. No prompts, no output, no exit: errors are thrown. Returns the
 * written files, relative and sorted.
 */
export async function generateProject(spec: ProjectSpec, answers: Answers, destDir: string): Promise<string[]> {
  if ((await fs.pathExists(destDir)) && (await fs.readdir(destDir)).length > 0) {
    throw new Error(`generateProject needs an empty directory, and ${destDir} is not`);
  }
  await fs.ensureDir(destDir);
  const { default: nodePlop } = await import("node-plop");
  const plop = await nodePlop(undefined, { destBasePath: destDir, force: false });
  registerActionTypes(plop, templatesDir);
  const generator = defineProjectGenerator(plop, spec, manifest(spec, answers));
  const { failures } = await generator.runActions({ ...templateContext(spec, lockFor(spec), answers) });
  if (failures.length > 0) {
    const first = failures[0]!;
    throw new Error(`generating ${spec.id} failed: ${first.error}`);
  }
  return (await glob("**/*", { cwd: destDir, dot: true, onlyFiles: true })).sort();
}
