import { parseSpec, type ProjectSpec } from "./schema.js";
import { cli } from "./cli.js";
import { jobQueue } from "./jobQueue.js";
import { urlShortener } from "./urlShortener.js";

/** The roadmap's example projects, in catalogue order. Specs are validated when loaded. */
const entries: readonly unknown[] = [urlShortener, jobQueue, cli];

let loaded: ProjectSpec[] | undefined;

export function catalogue(): ProjectSpec[] {
  loaded ??= entries.map(parseSpec);
  return loaded;
}

export class UnknownProjectError extends Error {}

export function findSpec(id: string): ProjectSpec {
  const spec = catalogue().find((candidate) => candidate.id === id);
  if (!spec) {
    const ids = catalogue().map((candidate) => candidate.id).join(", ");
    throw new UnknownProjectError(`unknown project ${JSON.stringify(id)} (choose one of: ${ids})`);
  }
  return spec;
}
