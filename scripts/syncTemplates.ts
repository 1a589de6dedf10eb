// npm run templates:sync [-- <project-id>…]: after editing a template, brings what is derived
// from it up to date, so that each templates/<id>/ stays a module that builds in place:
// - every file stored beside its `.hbs` (internal/config/defaults.go) is rendered again from it
//   with the template's own answers;
// - go.mod and go.sum are what `go mod tidy` settles on for the generated tree (tidy cannot run in
//   place: the shared plumbing module is only resolvable through templates/go.work).
// To bump a Go module: edit its version in templates/<id>/go.mod, run this, let the tests prove it.
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";

import { generateProject } from "../src/core/generateProject.js";
import { templatesDir } from "../src/core/packageInfo.js";
import { createRenderer } from "../src/core/renderer.js";
import { templateAnswers } from "../src/core/templateAnswers.js";
import { templateContext } from "../src/core/templateContext.js";
import { catalogue, findSpec } from "../src/specs/catalogue.js";
import { renderedSiblings } from "../src/core/renderedSiblings.js";

async function sync(id: string): Promise<void> {
  const spec = findSpec(id);
  const answers = templateAnswers(spec);
  const render = createRenderer();
  for (const { file, rendered } of await renderedSiblings(path.join(templatesDir, id), templateContext(spec, answers), render)) {
    await fs.writeFile(path.join(templatesDir, id, file), rendered);
  }
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-sync-"));
  try {
    const dir = path.join(root, id);
    await generateProject(spec, answers, dir);
    await execa("go", ["mod", "tidy"], { cwd: dir, stdio: "inherit", env: { GOWORK: "off", GOFLAGS: "-mod=mod" } });
    for (const file of ["go.mod", "go.sum"]) await fs.copyFile(path.join(dir, file), path.join(templatesDir, id, file));
    console.log(`${id}: in-place renderings and go.mod/go.sum in sync`);
  } finally {
    await fs.remove(root);
  }
}

const ids = process.argv.slice(2);
for (const id of ids.length > 0 ? ids : catalogue().map((spec) => spec.id)) await sync(id);
