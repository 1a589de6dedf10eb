import { readFileSync } from "node:fs";
import path from "node:path";
import { brotliDecompressSync } from "node:zlib";

import { packageRoot, templatesDir } from "./packageInfo.js";
import { templateIndex, type LayerFile } from "./templateIndex.js";

/**
 * The folder of the published bundle's layer blobs, relative to the package root: one
 * `<layer>.br` a layer, its plain files' bytes one after the other, compressed with brotli.
 */
export const layerBlobsDir = "dist/cli/layers";

/** A template layer: its files, and a way to read the bytes of one of them. */
export interface Layer {
  files: readonly LayerFile[];
  read(file: string): Buffer;
}

/**
 * A layer's files: from the bundle's index when rendering the templates/ it was built from (no
 * walk of a folder, no template read or compiled, the plain files out of one compressed blob,
 * inflated on the first read), otherwise read from the folder.
 */
export async function loadLayer(templates: string, layer: string): Promise<Layer> {
  const indexed = templates === templatesDir ? templateIndex.get(layer) : undefined;
  if (indexed) {
    const files = await indexed();
    const where = new Map(files.flatMap(({ file, bytes }) => (bytes ? [[file, bytes] as const] : [])));
    let blob: Buffer | undefined;
    return {
      files,
      read(file) {
        const bytes = where.get(file);
        if (!bytes) throw new Error(`template layer ${layer} has no stored file ${file}`);
        blob ??= brotliDecompressSync(readFileSync(path.join(packageRoot, layerBlobsDir, `${layer}.br`)));
        return blob.subarray(bytes[0], bytes[0] + bytes[1]);
      },
    };
  }
  const dir = path.join(templates, layer);
  const { readLayer } = await import("./readLayer.js");
  return { files: await readLayer(dir), read: (file) => readFileSync(path.join(dir, file)) };
}
