import { readFileSync } from "node:fs";
import path from "node:path";

import { templatesDir } from "./packageInfo.js";

/**
 * A project's Go versions, as its template's go.mod states them: the `go` line (the minimum the
 * module needs) and the `toolchain` line (the exact patched release everything builds with: the
 * Dockerfile's builder image, CI through go-version-file, our own tests). go.mod is the one place
 * to bump them.
 */
export interface GoVersions {
  /** The go line, e.g. "1.26.0". */
  minimum: string;
  /** The toolchain line without its "go" prefix, e.g. "1.26.10". */
  toolchain: string;
}

const release = String.raw`1\.\d+\.\d+`;

/** Reads the go and toolchain lines of a go.mod; both are required and exact. */
export function parseGoVersions(goMod: string, source = "go.mod"): GoVersions {
  const minimum = new RegExp(`^go (${release})$`, "m").exec(goMod)?.[1];
  const toolchain = new RegExp(`^toolchain go(${release})$`, "m").exec(goMod)?.[1];
  if (!minimum) throw new Error(`${source}: no exact "go 1.N.P" line`);
  if (!toolchain) throw new Error(`${source}: no exact "toolchain go1.N.P" line (the patched release to build with)`);
  if (compareReleases(minimum, toolchain) > 0) throw new Error(`${source}: toolchain go${toolchain} is older than go ${minimum}`);
  return { minimum, toolchain };
}

/** Orders Go releases such as "1.26.9" and "1.26.10" numerically. */
export function compareReleases(a: string, b: string): number {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! - y![i]!;
  return 0;
}

const cache = new Map<string, GoVersions>();

/** The Go versions of the template module templates/<layer>/. */
export function templateGoVersions(layer: string): GoVersions {
  let versions = cache.get(layer);
  if (!versions) {
    const file = path.join(templatesDir, layer, "go.mod");
    versions = parseGoVersions(readFileSync(file, "utf8"), file);
    cache.set(layer, versions);
  }
  return versions;
}
