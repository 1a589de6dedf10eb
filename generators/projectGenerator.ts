import path from "node:path";
import fs from "fs-extra";
import type { CustomActionConfig, NodePlopAPI, PlopGenerator } from "node-plop";

import type { ProjectSpec } from "../src/specs/schema.js";
import { createRenderer } from "../src/core/renderer.js";
import { renderTree } from "../src/core/renderTree.js";
import type { TemplateContext } from "../src/core/templateContext.js";

export const manifestFile = ".gopher-project.json";

/**
 * Registers the two action types every project generator is made of: render a template layer,
 * and write the manifest. Rendering goes through our own Handlebars environment (no escaping,
 * strict), never through plop's, and copies files that are not `*.hbs` byte for byte.
 */
export function registerActionTypes(plop: NodePlopAPI, templatesDir: string): void {
  const render = createRenderer();
  plop.setActionType("renderLayer", async (data, config) => {
    const written = await renderTree(
      path.join(templatesDir, String(config.layer)),
      plop.getDestBasePath(),
      data as TemplateContext,
      render,
    );
    return `${config.layer}: ${written.length} files`;
  });
  plop.setActionType("writeFile", async (_data, config) => {
    await fs.outputFile(path.join(plop.getDestBasePath(), String(config.file)), String(config.contents));
    return String(config.file);
  });
}

/** A project's Plop generator, built from its spec: one render action per layer, then the manifest. */
export function defineProjectGenerator(plop: NodePlopAPI, spec: ProjectSpec, manifest: string): PlopGenerator {
  return plop.setGenerator(spec.id, {
    description: spec.title,
    prompts: [],
    actions: [
      ...spec.layers.map((layer): CustomActionConfig<"renderLayer"> => ({ type: "renderLayer", layer })),
      writeManifest(manifest),
    ],
  });
}

function writeManifest(contents: string): CustomActionConfig<"writeFile"> {
  return { type: "writeFile", file: manifestFile, contents };
}
