import { readFile } from "node:fs/promises";
import { glob } from "tinyglobby";
import { describe, expect, it } from "vitest";

import { skipSummary } from "../support/environment.js";

describe("the summary of a run that skipped checks", () => {
  it("names the files, what was missing and the fix, between two rules", () => {
    const lines = skipSummary([
      { file: "url-shortener.test.ts", absent: ["Go", "PostgreSQL on 127.0.0.1:5432"] },
      { file: "job-queue.test.ts", absent: ["Go", "golangci-lint v2.15.0"] },
      { file: "cli.test.ts", absent: ["setpriv (to drop root's capabilities)"] },
    ]);
    expect(lines).toEqual([
      "!".repeat(78),
      "NOT EVERYTHING RAN: 3 test file(s) skipped their checks: cli.test.ts, job-queue.test.ts, url-shortener.test.ts",
      "missing: Go, PostgreSQL on 127.0.0.1:5432, golangci-lint v2.15.0, setpriv (to drop root's capabilities)",
      "fix: install Go (https://go.dev/dl/), then npm test again; npm run tools; start the services listed (README: Development); " +
        "install the missing commands (Debian: apt-get install postgresql-client tmux util-linux)",
      "!".repeat(78),
    ]);
  });

  it("always says how to fix what it lists", () => {
    expect(skipSummary([{ file: "a.test.ts", absent: ["something new"] }])[3]).toBe("fix: provide what is missing, then npm test again");
  });

  it("is where every skip goes: no test skips with ctx.skip or it.skip without missing() recording it", async () => {
    for (const file of await glob(["test/**/*.test.ts"])) {
      const source = await readFile(file, "utf8");
      for (const [line] of source.matchAll(/^.*\b(?:ctx|it|describe|test)\.skip\(.*$/gm)) {
        expect(line, file).toMatch(/ctx\.skip\(`?\$?\{?skip/);
      }
    }
  });
});

describe("the services the tests use", () => {
  // PostgreSQL servers have a database named postgres; few have one named test. The tests make
  // what they need through it.
  it("reach PostgreSQL through its maintenance database only", async () => {
    for (const file of await glob(["test/**/*.ts", "scripts/**/*.ts"], { ignore: ["test/unit/skipSummary.test.ts"] })) {
      const source = await readFile(file, "utf8");
      expect(source, file).not.toMatch(/5432\/test\b|"-d", "test"|dbname=test\b/);
    }
  });
});
