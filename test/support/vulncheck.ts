import path from "node:path";
import fs from "fs-extra";

import { packageRoot } from "../../src/core/packageInfo.js";
import { sh } from "./goLadder.js";

/**
 * govulncheck without the network's vulnerability host: the Go vulnerability database is also
 * the module golang.org/x/vulndb (its data/osv holds every entry as an OSV file), served by the
 * module proxy. Its own cmd/indexdb turns that folder into the v1 database layout govulncheck
 * reads with -db file://. The module version is pinned once, in package.json (config.goTools.vulndb).
 */
const pkg = (await fs.readJson(path.join(packageRoot, "package.json"))) as { config: { goTools: { vulndb: string } } };
export const vulndbVersion = pkg.config.goTools.vulndb;

let built: Promise<string> | undefined;

/** The database built from the pinned vulndb, once per machine (kept under node_modules/.cache); a file:// URL. */
export function pinnedVulnDb(): Promise<string> {
  built ??= buildVulnDb();
  return built;
}

async function buildVulnDb(): Promise<string> {
  const out = path.join(packageRoot, "node_modules/.cache/create-gopher-project", `vulndb-${vulndbVersion}`);
  if (!(await fs.pathExists(path.join(out, "index/db.json")))) {
    const { stdout } = await sh("go", ["mod", "download", "-json", `golang.org/x/vulndb@${vulndbVersion}`], { env: { GOFLAGS: "" } });
    const { Dir } = JSON.parse(String(stdout)) as { Dir: string };
    const staging = `${out}.${process.pid}`;
    await fs.remove(staging);
    await sh("go", ["run", `golang.org/x/vulndb/cmd/indexdb@${vulndbVersion}`, "-vulns", path.join(Dir, "data/osv"), "-out", staging], {
      env: { GOFLAGS: "" },
      timeout: 600_000,
    });
    await fs.remove(out);
    await fs.move(staging, out);
  }
  return `file://${out}`;
}

export interface Finding {
  id: string;
  /** What govulncheck says about it: which packages or modules, and whether the code calls it. */
  message: string;
}

export interface Scan {
  /** Vulnerable code the module's code calls: a failure. */
  reachable: Finding[];
  /** Vulnerable packages imported or modules required, but never called: listed, not fatal. */
  unreachable: Finding[];
}

/**
 * govulncheck at the spec's pinned version, with the pinned database, in SARIF (one JSON
 * document; level "error" marks vulnerabilities the code reaches). Runs with the toolchain the
 * module's go.mod pins, so the standard library is scanned at that exact release.
 */
export async function scanVulnerabilities(dir: string, govulncheck: string): Promise<Scan> {
  const db = await pinnedVulnDb();
  const result = await sh("go", ["run", `golang.org/x/vuln/cmd/govulncheck@${govulncheck}`, "-db", db, "-format", "sarif", "./..."], {
    cwd: dir,
    timeout: 600_000,
  });
  const sarif = JSON.parse(String(result.stdout)) as { runs: { results?: { ruleId: string; level: string; message: { text: string } }[] }[] };
  const results = sarif.runs.flatMap((run) => run.results ?? []);
  const finding = (r: (typeof results)[number]): Finding => ({ id: r.ruleId, message: r.message.text });
  return {
    reachable: results.filter((r) => r.level === "error").map(finding),
    unreachable: results.filter((r) => r.level !== "error").map(finding),
  };
}

/** Fails, naming each ID, when the code reaches a known vulnerability; lists the unreachable ones. */
export async function expectNoReachableVulnerabilities(dir: string, govulncheck: string): Promise<Scan> {
  const scan = await scanVulnerabilities(dir, govulncheck);
  if (scan.unreachable.length > 0) {
    console.log(
      `govulncheck (vulndb ${vulndbVersion}), ${path.basename(dir)}: not reached, listed only:\n` +
        scan.unreachable.map((f) => `  ${f.id}: ${f.message}`).join("\n"),
    );
  }
  if (scan.reachable.length > 0) {
    throw new Error(
      `govulncheck (vulndb ${vulndbVersion}): the code reaches ${scan.reachable.length} known vulnerabilit${scan.reachable.length === 1 ? "y" : "ies"}:\n` +
        scan.reachable.map((f) => `  ${f.id}: ${f.message}`).join("\n"),
    );
  }
  return scan;
}
