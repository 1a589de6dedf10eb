// npm run templates:sync [-- <project-id>…]: after editing a template, brings what is derived
// from it up to date, so that each templates/<id>/ stays a module that builds in place:
// - every file stored beside its `.hbs` (internal/config/defaults.go) is rendered again from it
//   with the template's own answers;
// - go.mod and go.sum are what `go mod tidy` settles on for the generated tree (tidy cannot run in
//   place: the shared plumbing module is only resolvable through templates/go.work).
// - templates/go.work's toolchain line is the newest one any project pins.
// To bump a Go module or the toolchain: edit templates/<id>/go.mod, run this, let the tests prove it.
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";

import { generateProject } from "../src/core/generateProject.js";
import { compareReleases, parseGoVersions } from "../src/core/goToolchain.js";
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

/** go.work runs the templates in place with the newest toolchain any project pins. */
async function syncWorkspaceToolchain(): Promise<void> {
  const toolchains = await Promise.all(
    catalogue().map(async (spec) => parseGoVersions(await fs.readFile(path.join(templatesDir, spec.id, "go.mod"), "utf8")).toolchain),
  );
  const newest = toolchains.sort(compareReleases).at(-1)!;
  const file = path.join(templatesDir, "go.work");
  await fs.writeFile(file, (await fs.readFile(file, "utf8")).replace(/^toolchain go\S+$/m, `toolchain go${newest}`));
  console.log(`go.work: toolchain go${newest}`);
}

const ids = process.argv.slice(2);
for (const id of ids.length > 0 ? ids : catalogue().map((spec) => spec.id)) await sync(id);
await syncWorkspaceToolchain();
