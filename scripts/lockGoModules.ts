// npm run lock -- <project-id>…: resolves a spec's pinned Go modules with `go mod tidy` and
// writes what tidy settles on: the indirect requirements (src/specs/locks/<id>.json) and the
// complete go.sum (templates/<id>/go.sum). Run it after bumping a version in a spec; CI then
// proves the emitted repository builds and that tidy is a no-op.
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";

import { completeAnswers } from "../src/core/answers.js";
import { generateProject } from "../src/core/generateProject.js";
import { packageRoot, templatesDir } from "../src/core/packageInfo.js";
import { catalogue, findSpec } from "../src/specs/catalogue.js";

interface GoModJson {
  Go: string;
  Require: { Path: string; Version: string; Indirect?: boolean }[] | null;
}

async function lock(id: string): Promise<void> {
  const spec = findSpec(id);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-lock-"));
  try {
    const dir = path.join(root, "lock");
    await generateProject(spec, completeAnswers(spec, { name: "lock" }), dir);
    await fs.remove(path.join(dir, "go.sum"));
    await execa("go", ["mod", "tidy"], { cwd: dir, stdio: "inherit" });
    const mod = JSON.parse((await execa("go", ["mod", "edit", "-json"], { cwd: dir })).stdout) as GoModJson;
    const indirect: Record<string, string> = {};
    for (const req of mod.Require ?? []) {
      if (req.Indirect) {
        indirect[req.Path] = req.Version;
      } else if (spec.modules[req.Path] !== req.Version) {
        throw new Error(`${id}: go mod tidy wants ${req.Path} ${req.Version} but the spec pins ${spec.modules[req.Path] ?? "nothing"}: update the spec`);
      }
    }
    const sorted = Object.fromEntries(Object.entries(indirect).sort(([a], [b]) => (a < b ? -1 : 1)));
    await fs.writeFile(path.join(packageRoot, "src/specs/locks", `${id}.json`), `${JSON.stringify({ indirect: sorted }, null, 2)}\n`);
    await fs.copyFile(path.join(dir, "go.sum"), path.join(templatesDir, id, "go.sum"));
    console.log(`${id}: ${Object.keys(spec.modules).length} direct, ${Object.keys(sorted).length} indirect requirements locked`);
  } finally {
    await fs.remove(root);
  }
}

const ids = process.argv.slice(2);
for (const id of ids.length > 0 ? ids : catalogue().map((spec) => spec.id)) await lock(id);
