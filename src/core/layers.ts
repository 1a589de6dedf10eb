import type { ProjectSpec } from "../specs/schema.js";
import type { Answers } from "./answers.js";
import { placeholderModule, type ModuleRewrite } from "./modulePaths.js";

/**
 * Where a template layer's files land in the generated tree. Layers are folders of templates/
 * rendered in the spec's order into one tree.
 * - The project's own layer (templates/<id>/) is a Go module: it brings go.mod and go.sum, and
 *   its placeholder binary folder cmd/<id>/ becomes cmd/<name>/ when the spec says so.
 * - Shared Go layers are Go modules too, placed under a folder of the project (plumbing's
 *   packages become internal/<package>); their own go.mod and go.sum stay behind.
 * - Every other layer (shared, docker, release) is copied as it is.
 */
export interface LayerPlacement {
  layer: string;
  /** Folder of the generated tree the layer's files land in ("" for the root). */
  into: string;
  /** Files of the layer that are not emitted. */
  skip: readonly string[];
  /** Path prefixes renamed on the way (cmd/<id>/ → cmd/<name>/). */
  renames: Readonly<Record<string, string>>;
}

/** Shared Go layers: template modules of their own, and the folder their packages land in. */
export const sharedGoLayers: Readonly<Record<string, { into: string }>> = {
  plumbing: { into: "internal" },
};

export function layerPlacements(spec: ProjectSpec, answers: Answers): LayerPlacement[] {
  return spec.layers.map((layer) => {
    const shared = sharedGoLayers[layer];
    if (shared) return { layer, into: shared.into, skip: ["go.mod", "go.sum"], renames: {} };
    const renames: Record<string, string> =
      layer === spec.id && spec.binaries.includes("{{name}}") ? { [`cmd/${spec.id}/`]: `cmd/${answers.name}/` } : {};
    return { layer, into: "", skip: [], renames };
  });
}

/** The placeholder module paths the spec's layers use, and what each becomes. */
export function moduleRewrites(spec: ProjectSpec, answers: Answers): ModuleRewrite[] {
  const rewrites: ModuleRewrite[] = [{ from: placeholderModule(spec.id), to: answers.module }];
  for (const [layer, { into }] of Object.entries(sharedGoLayers)) {
    if (spec.layers.includes(layer)) rewrites.push({ from: placeholderModule(layer), to: `${answers.module}/${into}` });
  }
  return rewrites;
}
