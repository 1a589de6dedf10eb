import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The package's own folder, found the same way from src/ (tests) and dist/src/ (installed). */
function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("create-gopher-project: cannot find its own package.json");
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot();
export const templatesDir = path.join(packageRoot, "templates");

const pkg = JSON.parse(readFileSync(path.join(packageRoot, "package.json"), "utf8")) as {
  name: string;
  version: string;
};
export const generatorName = pkg.name;
export const generatorVersion = pkg.version;
