import os from "node:os";
import path from "node:path";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, it } from "vitest";

import { sharedGoLayers } from "../../src/core/layers.js";
import { placeholderModule } from "../../src/core/modulePaths.js";
import { templatesDir } from "../../src/core/packageInfo.js";
import { createRenderer } from "../../src/core/renderer.js";
import { catalogue } from "../../src/specs/catalogue.js";
import { expectGofmtClean, raceTests, sh, vet } from "../support/goLadder.js";
import { ladderPrerequisites } from "../support/prerequisites.js";

/**
 * The templates are Go modules that build, lint and test where they stand (templates/go.work
 * ties them together): a template change is checked before anything is generated from it.
 */
const spec = catalogue()[0]!;
const { tools, skipReason } = await ladderPrerequisites(spec, []);
const modules = [...catalogue().map((s) => s.id), ...Object.keys(sharedGoLayers)];
const tags = ["integration"];

describe.skipIf(skipReason).each(modules)("templates/%s in place", (id) => {
  const dir = path.join(templatesDir, id);
  let config: string;

  beforeAll(async () => {
    // The lint configuration the generated repository gets, for this template's placeholder module.
    const template = await fs.readFile(path.join(templatesDir, "shared/_golangci.yml.hbs"), "utf8");
    config = path.join(await fs.mkdtemp(path.join(os.tmpdir(), "gopher-lint-")), ".golangci.yml");
    await fs.writeFile(config, createRenderer()(template, { module: placeholderModule(id) }, "_golangci.yml.hbs"));
  });
  afterAll(() => config && fs.remove(path.dirname(config)));

  it("is gofmt-clean", () => expectGofmtClean(dir));
  it("passes go vet, with and without the integration tag", async () => {
    await vet(dir);
    await vet(dir, tags);
  }, 300_000);
  it("passes golangci-lint with the emitted config, with and without the integration tag", async () => {
    for (const buildTags of [[], tags]) {
      await sh(tools.golangciLint, ["run", "--allow-serial-runners", "-c", config, ...(buildTags.length ? ["--build-tags", buildTags.join(",")] : []), "./..."], { cwd: dir });
    }
  }, 600_000);
  it("passes its unit tests with the race detector", () => raceTests(dir), 600_000);
});
