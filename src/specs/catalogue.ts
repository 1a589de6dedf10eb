import type { ProjectSpec } from "./schema.js";
import { chat } from "./chat.js";
import { cli } from "./cli.js";
import { ecommerce } from "./ecommerce.js";
import { jobQueue } from "./jobQueue.js";
import { urlShortener } from "./urlShortener.js";

/**
 * The roadmap's example projects, in catalogue order. The schema (schema.ts) checks them when the
 * CLI is built (scripts/build.ts), not at every run: a run trusts the data it ships with and
 * never loads zod.
 */
const specs: readonly ProjectSpec[] = [urlShortener, jobQueue, chat, ecommerce, cli];

export function catalogue(): ProjectSpec[] {
  return [...specs];
}

export class UnknownProjectError extends Error {}

export function findSpec(id: string): ProjectSpec {
  const spec = specs.find((candidate) => candidate.id === id);
  if (!spec) {
    const ids = specs.map((candidate) => candidate.id).join(", ");
    throw new UnknownProjectError(`unknown project ${JSON.stringify(id)} (choose one of: ${ids})`);
  }
  return spec;
}
