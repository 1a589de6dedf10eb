import os from "node:os";
import path from "node:path";
import fs from "fs-extra";

import { completeAnswers } from "../../src/core/answers.js";
import { generateProject } from "../../src/core/generateProject.js";
import { findSpec } from "../../src/specs/catalogue.js";

/** Renders a project through the core into a fresh temporary directory; returns it and its files. */
export async function generateInto(
  projectId: string,
  given: { name?: string; module?: string; options?: Record<string, unknown>; delivery?: Record<string, unknown> } = {},
): Promise<{ dir: string; files: string[] }> {
  const spec = findSpec(projectId);
  const root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-test-"));
  const name = given.name ?? spec.id;
  const dir = path.join(root, name);
  const files = await generateProject(spec, completeAnswers(spec, { ...given, name }), dir);
  return { dir, files };
}

export const removeTree = (dir: string) => fs.remove(path.dirname(dir));
