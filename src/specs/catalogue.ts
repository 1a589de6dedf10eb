import { parseSpec, type ProjectSpec } from "./schema.js";
import { cli } from "./cli.js";
import cliLock from "./locks/cli.json" with { type: "json" };
import { jobQueue } from "./jobQueue.js";
import jobQueueLock from "./locks/job-queue.json" with { type: "json" };
import { urlShortener } from "./urlShortener.js";
import urlShortenerLock from "./locks/url-shortener.json" with { type: "json" };

/** What `npm run lock` resolves for a spec: the indirect requirements go mod tidy keeps. */
export interface Lock {
  indirect: Record<string, string>;
}

interface Entry {
  spec: unknown;
  lock: Lock;
}

/** The roadmap's example projects, in catalogue order. Specs are validated when loaded. */
const entries: readonly Entry[] = [
  { spec: urlShortener, lock: urlShortenerLock },
  { spec: jobQueue, lock: jobQueueLock },
  { spec: cli, lock: cliLock },
];

let loaded: { spec: ProjectSpec; lock: Lock }[] | undefined;

function load(): { spec: ProjectSpec; lock: Lock }[] {
  loaded ??= entries.map(({ spec, lock }) => ({ spec: parseSpec(spec), lock }));
  return loaded;
}

export function catalogue(): ProjectSpec[] {
  return load().map(({ spec }) => spec);
}

export class UnknownProjectError extends Error {}

export function findSpec(id: string): ProjectSpec {
  const entry = load().find(({ spec }) => spec.id === id);
  if (!entry) {
    const ids = load().map(({ spec }) => spec.id).join(", ");
    throw new UnknownProjectError(`unknown project "${id}" (choose one of: ${ids})`);
  }
  return entry.spec;
}

export function lockFor(spec: ProjectSpec): Lock {
  const entry = load().find((candidate) => candidate.spec.id === spec.id);
  if (!entry) throw new UnknownProjectError(`no lock for project "${spec.id}"`);
  return entry.lock;
}
