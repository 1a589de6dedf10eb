import path from "node:path";
import fs from "fs-extra";
import { glob } from "tinyglobby";

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

/** Where a template file lands: segments renamed, `.hbs` dropped, `{{…}}` in the path rendered. */
export function outputPath(templatePath: string, context: object, render: Render): string {
  const segments = templatePath.split("/").map((segment) => {
    const bare = segment.endsWith(".hbs") ? segment.slice(0, -".hbs".length) : segment;
    const renamed = renamedSegments[bare] ?? bare;
    return renamed.includes("{{") ? render(renamed, context, templatePath) : renamed;
  });
  return segments.join("/");
}

/**
 * Renders one template layer into destDir: `*.hbs` files through Handlebars, every other file
 * copied byte for byte (so Actions `${{ }}` and Go templates stay as they are). Returns the
 * written paths, relative to destDir, in a stable order.
 */
export async function renderTree(layerDir: string, destDir: string, context: object, render: Render): Promise<string[]> {
  const files = (await glob("**/*", { cwd: layerDir, dot: true, onlyFiles: true, expandDirectories: false })).sort();
  const written: string[] = [];
  for (const file of files) {
    const target = outputPath(file, context, render);
    const source = path.join(layerDir, file);
    const dest = path.join(destDir, target);
    await fs.ensureDir(path.dirname(dest));
    if (file.endsWith(".hbs")) {
      const template = await fs.readFile(source, "utf8");
      await fs.writeFile(dest, render(template, context, file));
    } else {
      await fs.copyFile(source, dest);
    }
    const { mode } = await fs.stat(source);
    await fs.chmod(dest, mode & 0o111 ? 0o755 : 0o644);
    written.push(target);
  }
  return written;
}
