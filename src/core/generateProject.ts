import path from "node:path";
import fs from "fs-extra";
import { glob } from "tinyglobby";

import { defineProjectGenerator, registerActionTypes } from "../../generators/projectGenerator.js";
import type { ProjectSpec } from "../specs/schema.js";
import type { Answers } from "./answers.js";
import { layerPlacements, moduleRewrites } from "./layers.js";
import { templatesDir } from "./packageInfo.js";
import { createRenderer } from "./renderer.js";
import { renderTree } from "./renderTree.js";
import { manifest, templateContext } from "./templateContext.js";

/**
 * The generation core: renders the project described by spec and answers into destDir, which
 * must not exist or be empty. No prompts, no output, no exit: errors are thrown, with the
 * original error (which template, which file) as their cause. Returns the written files,
 * relative and sorted.
 */
export async function generateProject(
  spec: ProjectSpec,
  answers: Answers,
  destDir: string,
  { templates = templatesDir }: { templates?: string } = {},
): Promise<string[]> {
  if ((await fs.pathExists(destDir)) && (await fs.readdir(destDir)).length > 0) {
    throw new Error(`generateProject needs an empty directory, and ${destDir} is not`);
  }
  await fs.ensureDir(destDir);
  const { default: nodePlop } = await import("node-plop");
  const plop = await nodePlop(undefined, { destBasePath: destDir, force: false });

  const render = createRenderer();
  const context = templateContext(spec, answers);
  const rewrites = moduleRewrites(spec, answers);
  const placements = new Map(layerPlacements(spec, answers).map((placement) => [placement.layer, placement]));
  const errors: unknown[] = [];
  registerActionTypes(
    plop,
    {
      renderLayer: (layer) => renderTree(path.join(templates, layer), destDir, placements.get(layer)!, context, render, rewrites),
      writeFile: (file, contents) => fs.outputFile(path.join(destDir, file), contents),
    },
    (error) => errors.push(error),
  );
  const generator = defineProjectGenerator(plop, {
    id: spec.id,
    title: spec.title,
    layers: spec.layers,
    manifest: manifest(spec, answers),
  });
  const { failures } = await generator.runActions({});
  if (failures.length > 0) {
    const cause = errors[0];
    const message = cause instanceof Error ? cause.message : String(failures[0]!.error);
    throw new Error(`generating ${spec.id} failed: ${message}`, { cause });
  }
  return (await glob("**/*", { cwd: destDir, dot: true, onlyFiles: true })).sort();
}
