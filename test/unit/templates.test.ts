import path from "node:path";
import fs from "fs-extra";
import { glob } from "tinyglobby";
import { describe, expect, it } from "vitest";

import { compareReleases, parseGoVersions, templateGoVersions } from "../../src/core/goToolchain.js";
import { sharedGoLayers } from "../../src/core/layers.js";
import { placeholderModule, placeholderRoot } from "../../src/core/modulePaths.js";
import { templatesDir } from "../../src/core/packageInfo.js";
import { createRenderer } from "../../src/core/renderer.js";
import { renderedSiblings } from "../../src/core/renderedSiblings.js";
import { templateAnswers } from "../../src/core/templateAnswers.js";
import { templateContext } from "../../src/core/templateContext.js";
import { catalogue } from "../../src/specs/catalogue.js";

const read = (...parts: string[]) => fs.readFile(path.join(templatesDir, ...parts), "utf8");

describe.each(catalogue().map((spec) => [spec.id, spec] as const))("the %s template module", (id, spec) => {
  it("is a Go module under its placeholder path, on the spec's Go line", async () => {
    const gomod = await read(id, "go.mod");
    expect(gomod).toMatch(new RegExp(`^module ${placeholderModule(id).replace(/\./g, "\\.")}\n`));
    // The go line is the minimum; the toolchain line pins the patched release everything builds with.
    const versions = parseGoVersions(gomod, `${id}/go.mod`);
    expect(versions.minimum).toMatch(/^1\.\d+\.0$/);
    expect(versions.toolchain.split(".").slice(0, 2)).toEqual(versions.minimum.split(".").slice(0, 2));
    expect(await fs.pathExists(path.join(templatesDir, id, "go.sum"))).toBe(true);
  });

  it("keeps Go files plain: no Handlebars but its one defaults file", async () => {
    const goTemplates = await glob("**/*.go.hbs", { cwd: path.join(templatesDir, id) });
    expect(goTemplates.filter((file) => file !== "internal/config/defaults.go.hbs")).toEqual([]);
  });

  it("stores every in-place rendering as its .hbs renders it with the template's own answers", async () => {
    const context = templateContext(spec, templateAnswers(spec));
    for (const { file, stored, rendered } of await renderedSiblings(path.join(templatesDir, id), context, createRenderer())) {
      expect(stored, `${id}/${file} is stale: npm run templates:sync -- ${id}`).toBe(rendered);
    }
  });

  it("uses no other project's placeholder module path", async () => {
    const allowed = new Set([placeholderModule(id), ...Object.keys(sharedGoLayers).filter((l) => spec.layers.includes(l)).map(placeholderModule)]);
    for (const file of await glob("**/*", { cwd: path.join(templatesDir, id), dot: true })) {
      const text = await read(id, file);
      for (const match of text.matchAll(new RegExp(`${placeholderRoot.replace(/\./g, "\\.")}/[a-z0-9-]+`, "g"))) {
        expect(allowed, `${id}/${file}: ${match[0]}`).toContain(match[0]);
      }
    }
  });
});

describe("templates/go.work", () => {
  it("lists every template module, so tools work in place", async () => {
    const work = await read("go.work");
    const modules = [...catalogue().map((spec) => spec.id), ...Object.keys(sharedGoLayers)].sort();
    for (const module of modules) expect(work).toContain(`\t./${module}\n`);
  });

  // Each project pins its toolchain in its own go.mod (a bump is one edit there); the patch is the
  // same everywhere, so that no generated project builds with a release the others left behind.
  it("pins one and the same patched toolchain in every project", () => {
    const pins = new Set(catalogue().map((spec) => templateGoVersions(spec.id).toolchain));
    expect([...pins]).toHaveLength(1);
  });

  it("runs in place with the newest toolchain the projects pin (npm run templates:sync)", async () => {
    const newest = catalogue().map((spec) => templateGoVersions(spec.id).toolchain).sort(compareReleases).at(-1);
    expect(parseGoVersions(await read("go.work"), "go.work").toolchain).toBe(newest);
  });
});
