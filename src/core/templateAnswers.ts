import type { ProjectSpec } from "../specs/schema.js";
import { completeAnswers, type Answers } from "./answers.js";
import { placeholderModule } from "./modulePaths.js";

/**
 * The answers a template module stands for as it sits in templates/<id>/: named after the
 * project, under its placeholder module path, every option at its default. A file stored beside
 * its `.hbs` is that `.hbs` rendered with these answers.
 */
export function templateAnswers(spec: ProjectSpec): Answers {
  return completeAnswers(spec, { name: spec.id, module: placeholderModule(spec.id) });
}
