import path from "node:path";
import fs from "fs-extra";
import { glob } from "tinyglobby";

import type { LayerPlacement } from "./layers.js";
import { rewriteModulePaths, type ModuleRewrite } from "./modulePaths.js";
import type { Render } from "./renderer.js";

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
 * The files of a layer to emit, in a stable order. A file `x` beside `x.hbs` is the template's
 * in-place rendering of it (so the template module builds as it stands): the `.hbs` is emitted.
 */
export async function layerFiles(layerDir: string, skip: readonly string[] = []): Promise<string[]> {
  const files = (await glob("**/*", { cwd: layerDir, dot: true, onlyFiles: true, expandDirectories: false })).sort();
  const all = new Set(files);
  return files.filter((file) => !skip.includes(file) && !all.has(`${file}.hbs`));
}

/** Files of a layer in flight at once: enough to keep the thread pool busy, far below any fd limit. */
const concurrency = 32;

/**
 * Renders one template layer into destDir: `*.hbs` files through Handlebars, every other file
 * copied as it is (so Actions `${{ }}` and Go templates stay intact), then the placeholder module
 * paths rewritten in every text file. Returns the written paths, relative to destDir, in the
 * layer's order. The files of a layer are written concurrently (layers, which may override each
 * other, are rendered one after the other by the caller).
 */
export async function renderTree(
  layerDir: string,
  destDir: string,
  placement: LayerPlacement,
  context: object,
  render: Render,
  rewrites: readonly ModuleRewrite[],
): Promise<string[]> {
  const files = (await layerFiles(layerDir, placement.skip)).map((file) => ({ file, target: outputPath(file, placement) }));
  const dirs = new Set(files.map(({ target }) => path.dirname(path.join(destDir, target))));
  await Promise.all([...dirs].map((dir) => fs.mkdir(dir, { recursive: true })));
  const writeOne = async ({ file, target }: { file: string; target: string }) => {
    const source = path.join(layerDir, file);
    const dest = path.join(destDir, target);
    const [bytes, { mode }] = await Promise.all([fs.readFile(source), fs.stat(source)]);
    if (file.endsWith(".hbs")) {
      await fs.writeFile(dest, rewriteModulePaths(render(bytes.toString("utf8"), context, file), rewrites));
    } else {
      // Copied byte for byte unless a placeholder path is in it (binary files never match).
      const text = bytes.toString("utf8");
      const rewritten = rewriteModulePaths(text, rewrites);
      await fs.writeFile(dest, rewritten === text ? bytes : rewritten);
    }
    await fs.chmod(dest, mode & 0o111 ? 0o755 : 0o644);
  };
  for (let i = 0; i < files.length; i += concurrency) await Promise.all(files.slice(i, i + concurrency).map(writeOne));
  return files.map(({ target }) => target);
}
