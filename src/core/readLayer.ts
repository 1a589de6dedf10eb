import path from "node:path";
import fs from "fs-extra";
import { glob } from "tinyglobby";

import type { LayerFile } from "./templateIndex.js";

/**
 * The files of a template layer as they are on disk, in a stable order. A file `x` beside
 * `x.hbs` is the template's in-place rendering of it (so the template module builds as it
 * stands): the `.hbs` is the one listed. The build (scripts/build.ts) lists every layer this way
 * into the bundle, so the published CLI never walks templates/; a run from the source tree, or
 * from another templates folder (the tests' fixtures), reads the folder here.
 */
export async function readLayer(layerDir: string): Promise<LayerFile[]> {
  const files = (await glob("**/*", { cwd: layerDir, dot: true, onlyFiles: true, expandDirectories: false })).sort();
  const all = new Set(files);
  const listed = files.filter((file) => !all.has(`${file}.hbs`));
  return Promise.all(
    listed.map(async (file) => ({ file, executable: ((await fs.stat(path.join(layerDir, file))).mode & 0o111) !== 0 })),
  );
}
