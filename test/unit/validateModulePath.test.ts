import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { describe, expect, it } from "vitest";

import { validateModulePath } from "../../src/core/validateModulePath.js";
import { missing } from "../support/environment.js";

const good = [
  "example.com/acme/shortener",
  "github.com/acme/url-shortener",
  "github.com/Acme/Shortener",
  "myapp",
  "example.com/acme/shortener/v2",
  "example.com/a_b~c.d-e",
  "gopkg.in/yaml.v3",
  "example.com/v2",
  "example.com/comfort/console",
];

const bad: [string, RegExp][] = [
  ["", /empty string/],
  ["-leading/dash", /leading dash/],
  ["example.com//double", /double slash/],
  ["example.com/trailing/", /trailing slash/],
  ["example.com/a b", /invalid char " "/],
  ["example.com/ünicode", /invalid char/],
  ["example.com/..", /invalid path element/],
  ["example.com/dot.", /trailing dot/],
  ["example.com/CON", /disallowed .* on Windows/],
  ["example.com/lpt1.txt", /disallowed .* on Windows/],
  ["example.com/con.d", /disallowed .* on Windows/],
  ["example.com/prog~1", /trailing tilde and digits/],
  ["example.com/acme/shortener/v1", /major version suffixes/],
  ["example.com/acme/shortener/v0", /major version suffixes/],
  ["example.com/acme/shortener/v2.1", /major version suffixes/],
  ["example.com/acme/shortener/v02", /major version suffixes/],
  ["gopkg.in/yaml", /gopkg\.in/],
  ["example.com/a:b", /invalid char ":"/],
];

describe("validateModulePath", () => {
  it.each(good)("accepts %s", (modulePath) => {
    expect(validateModulePath(modulePath)).toBeUndefined();
  });

  it.each(bad)("rejects %j", (modulePath, problem) => {
    expect(validateModulePath(modulePath)).toMatch(problem);
  });

  // The table above is only worth something if it agrees with the go command itself.
  it("agrees with `go mod init` on every path in the table", async (ctx) => {
    const go = await execa("go", ["version"], { reject: false });
    const skip = missing([{ what: "Go", ok: go.exitCode === 0 }]);
    if (skip) ctx.skip(skip);
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "modinit-"));
    try {
      const cases = [...good, ...bad.map(([p]) => p).filter((p) => p !== "")];
      const disagreements: string[] = [];
      await Promise.all(
        cases.map(async (modulePath, i) => {
          const dir = path.join(root, String(i));
          await fs.ensureDir(dir);
          const init = await execa("go", ["mod", "init", modulePath], { cwd: dir, reject: false, env: { GOFLAGS: "" } });
          const goAccepts = init.exitCode === 0;
          const weAccept = validateModulePath(modulePath) === undefined;
          if (goAccepts !== weAccept) disagreements.push(`${modulePath}: go ${goAccepts ? "accepts" : "rejects"} (${init.stderr})`);
        }),
      );
      expect(disagreements).toEqual([]);
    } finally {
      await fs.remove(root);
    }
  });
});
