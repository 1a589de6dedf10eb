import path from "node:path";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { findSpec } from "../../src/specs/catalogue.js";
import { generateInto, removeTree } from "../support/generate.js";
import { sh } from "../support/goLadder.js";
import { ladderPrerequisites } from "../support/prerequisites.js";
import { expectNoReachableVulnerabilities, pinnedVulnDb, vulndbVersion } from "../support/vulncheck.js";

/**
 * The vulnerability check cannot pass by not running: the same scan every ladder runs fails,
 * naming the ID, on a tree made vulnerable on purpose; and the generated `make vulndb` /
 * `make vuln VULNDB=file://…` pair works offline.
 */
const spec = findSpec("url-shortener");
const { skipReason } = await ladderPrerequisites(spec, []);

describe.skipIf(skipReason)("govulncheck with the pinned database", () => {
  let dir: string;

  beforeAll(async () => {
    ({ dir } = await generateInto("url-shortener", { name: "shortener", module: "example.com/acme/shortener" }));
  });
  afterAll(() => dir && removeTree(dir));

  /** A copy of the generated tree with one change made to its go.mod. */
  async function variant(name: string, change: (copy: string) => Promise<unknown>): Promise<string> {
    const copy = path.join(path.dirname(dir), name);
    await fs.copy(dir, copy);
    await change(copy);
    return copy;
  }

  it.each([
    {
      what: "a dependency with a known vulnerability the code reaches (quic-go v0.59.0)",
      name: "old-quic",
      change: (copy: string) =>
        sh("go", ["get", "github.com/quic-go/quic-go@v0.59.0"], { cwd: copy, env: { GOFLAGS: "-mod=mod" } }),
      expected: /GO-2026-5676: .*github\.com\/quic-go\/quic-go/,
    },
    {
      what: "a toolchain line naming an unpatched standard library (go1.26.8)",
      name: "old-toolchain",
      change: (copy: string) => sh("go", ["mod", "edit", "-toolchain=go1.26.8"], { cwd: copy }),
      expected: /GO-\d{4}-\d+: .*net\/http/,
    },
  ])("fails on $what, naming the vulnerability", async ({ name, change, expected }) => {
    const copy = await variant(name, change);
    await expect(expectNoReachableVulnerabilities(copy, spec.tools.govulncheck)).rejects.toThrow(expected);
  }, 900_000);

  it("works offline through the generated Makefile: make vulndb, then make vuln VULNDB=file://…", async () => {
    await sh("make", ["vulndb", `VULNDB_VERSION=${vulndbVersion}`], { cwd: dir, timeout: 600_000 });
    expect(await fs.pathExists(path.join(dir, ".vulndb/index/modules.json"))).toBe(true);
    // The same entries as the database the ladders scan with.
    const ours = new URL(await pinnedVulnDb()).pathname;
    const [built, pinned] = await Promise.all(
      [path.join(dir, ".vulndb"), ours].map((db) => fs.readJson(path.join(db, "index/vulns.json"))),
    );
    expect(built).toEqual(pinned);

    const clean = await sh("make", ["vuln", `VULNDB=file://${dir}/.vulndb`], { cwd: dir, timeout: 600_000 });
    expect(String(clean.stdout)).toMatch(/Your code is affected by 0 vulnerabilities/);

    const vulnerable = await variant("make-vuln", (copy) =>
      sh("go", ["get", "github.com/quic-go/quic-go@v0.59.0"], { cwd: copy, env: { GOFLAGS: "-mod=mod" } }),
    );
    await expect(sh("make", ["vuln", `VULNDB=file://${dir}/.vulndb`], { cwd: vulnerable, timeout: 600_000 })).rejects.toThrow(
      /GO-2026-5676/,
    );
  }, 1_200_000);
});
