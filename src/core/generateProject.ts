import path from "node:path";
import fs from "fs-extra";

import { defineProjectGenerator, registerActionTypes } from "../../generators/projectGenerator.js";
import type { ProjectSpec } from "../specs/schema.js";
import type { Answers } from "./answers.js";
import { parseGoVersions } from "./goToolchain.js";
import { layerPlacements, moduleRewrites } from "./layers.js";
import { loadLayer } from "./loadLayer.js";
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
  const [{ default: nodePlop }, layers] = await Promise.all([
    import("node-plop"),
    Promise.all(spec.layers.map(async (layer) => [layer, await loadLayer(templates, layer)] as const)).then((entries) => new Map(entries)),
  ]);
  const plop = await nodePlop(undefined, { destBasePath: destDir, force: false });

  const render = createRenderer();
  // The Go versions from the project layer's own go.mod, as it is shipped (templates/ or the bundle).
  const go = parseGoVersions(layers.get(spec.id)!.read("go.mod").toString("utf8"), path.join(templates, spec.id, "go.mod"));
  const context = templateContext(spec, answers, go);
  const rewrites = moduleRewrites(spec, answers);
  const placements = new Map(layerPlacements(spec, answers).map((placement) => [placement.layer, placement]));
  const errors: unknown[] = [];
  const written = new Set<string>();
  const record = (files: string[]) => {
    for (const file of files) written.add(file);
    return files;
  };
  registerActionTypes(
    plop,
    {
      renderLayer: async (layer) => record(renderTree(layers.get(layer)!, destDir, placements.get(layer)!, context, render, rewrites)),
      writeFile: async (file, contents) => {
        await fs.outputFile(path.join(destDir, file), contents);
        record([file]);
      },
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
  return [...written].sort();
}
