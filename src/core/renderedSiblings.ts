import path from "node:path";
import fs from "fs-extra";
import { glob } from "tinyglobby";

import type { Render } from "./renderer.js";

/**
 * The `.hbs` templates of a layer that have their in-place rendering stored beside them (`x.hbs`
 * and `x`), each rendered with context: what the stored file must be.
 */
export async function renderedSiblings(layerDir: string, context: object, render: Render): Promise<{ file: string; stored: string; rendered: string }[]> {
  const templates = await glob("**/*.hbs", { cwd: layerDir, dot: true, expandDirectories: false });
  const out = [];
  for (const template of templates.sort()) {
    const file = template.slice(0, -".hbs".length);
    const storedPath = path.join(layerDir, file);
    if (!(await fs.pathExists(storedPath))) continue;
    const rendered = render(await fs.readFile(path.join(layerDir, template), "utf8"), context, template);
    out.push({ file, stored: await fs.readFile(storedPath, "utf8"), rendered });
  }
  return out;
}
