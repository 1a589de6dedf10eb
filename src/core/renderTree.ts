import path from "node:path";
import fs from "fs-extra";

import type { LayerPlacement } from "./layers.js";
import { rewriteModulePaths, type ModuleRewrite } from "./modulePaths.js";
import type { Layer } from "./loadLayer.js";
import type { Render } from "./renderer.js";
import type { LayerFile } from "./templateIndex.js";

/**
 * Template files are stored under names npm pack keeps; this map gives each its real name.
 * It applies to any path segment, so `_github/workflows/ci.yml` becomes `.github/workflows/ci.yml`.
 */
export const renamedSegments: Readonly<Record<string, string>> = {
  _gitignore: ".gitignore",
  _dockerignore: ".dockerignore",
  "_golangci.yml": ".golangci.yml",
  "_env.example": ".env.example",
  _github: ".github",
  "_goreleaser.yaml": ".goreleaser.yaml",
};

/** Where a template file lands: segments renamed, `.hbs` dropped, prefixes renamed, placed into its folder. */
export function outputPath(templatePath: string, placement: Pick<LayerPlacement, "into" | "renames">): string {
  let out = templatePath
    .split("/")
    .map((segment) => {
      const bare = segment.endsWith(".hbs") ? segment.slice(0, -".hbs".length) : segment;
      return renamedSegments[bare] ?? bare;
    })
    .join("/");
  for (const [from, to] of Object.entries(placement.renames)) {
    if (out.startsWith(from)) out = to + out.slice(from.length);
  }
  return placement.into ? `${placement.into}/${out}` : out;
}

/**
 * Renders one template layer into destDir: `*.hbs` files through Handlebars, every other file
 * copied as it is (so Actions `${{ }}` and Go templates stay intact), then the placeholder module
 * paths rewritten in every text file. Returns the written paths, relative to destDir, in the
 * layer's order. Layers, which may override each other, are rendered one after the other.
 *
 * The calls are synchronous, as create-vite's copies are: a layer is a few dozen small files,
 * each written straight into the page cache, and a thread-pool round trip per call would cost
 * more than the call itself (measured: npm run bench).
 */
export function renderTree(
  layer: Layer,
  destDir: string,
  placement: LayerPlacement,
  context: object,
  render: Render,
  rewrites: readonly ModuleRewrite[],
): string[] {
  const files = layer.files.filter(({ file }) => !placement.skip.includes(file)).map((entry) => ({ ...entry, target: outputPath(entry.file, placement) }));
  for (const dir of new Set(files.map(({ target }) => path.dirname(path.join(destDir, target))))) fs.mkdirSync(dir, { recursive: true });
  for (const entry of files) {
    const dest = path.join(destDir, entry.target);
    fs.writeFileSync(dest, contents(layer, entry, context, render, rewrites));
    // Exactly 0644 or 0755, whatever the umask: the tree is the same on every machine.
    fs.chmodSync(dest, entry.executable ? 0o755 : 0o644);
  }
  return files.map(({ target }) => target);
}

/** A file's generated contents: a template rendered, or the stored bytes with module paths rewritten. */
function contents(layer: Layer, { file, template }: LayerFile, context: object, render: Render, rewrites: readonly ModuleRewrite[]): string | Buffer {
  if (file.endsWith(".hbs")) return rewriteModulePaths(render(template ?? layer.read(file).toString("utf8"), context, file), rewrites);
  // Copied byte for byte unless a placeholder path is in it (binary files never match).
  const bytes = layer.read(file);
  const text = bytes.toString("utf8");
  const rewritten = rewriteModulePaths(text, rewrites);
  return rewritten === text ? bytes : rewritten;
}
