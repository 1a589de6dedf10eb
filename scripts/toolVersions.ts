// Prints the version of a Go tool that every catalogue spec pins; fails if specs disagree, so
// CI installs exactly the tool the generated repositories are checked with.
import { catalogue } from "../src/specs/catalogue.js";
import type { ProjectSpec } from "../src/specs/schema.js";

const tool = process.argv[2] as keyof ProjectSpec["tools"];
const versions = new Set(catalogue().map((spec) => spec.tools[tool]));
if (versions.size !== 1 || versions.has(undefined as never)) {
  console.error(`specs pin ${tool} at ${[...versions].join(", ") || "nothing"}: make them agree`);
  process.exit(1);
}
console.log([...versions][0]);
