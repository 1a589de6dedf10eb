import type { ProjectOption, ProjectSpec } from "../specs/schema.js";
import { validateModulePath } from "./validateModulePath.js";
import { validateProjectName } from "./validateProjectName.js";

export type OptionValue = number | boolean;

/** Everything a generation needs besides the spec: the answers a user gave, completed. */
export interface Answers {
  name: string;
  module: string;
  options: Record<string, OptionValue>;
}

export class InvalidAnswerError extends Error {}

export function defaultModulePath(name: string): string {
  return `example.com/${name}`;
}

/**
 * Checks one option value against its declaration; returns a message or undefined. The message
 * names the option as `subject` says: `option httpPort` for callers of the core, the flag
 * (`--http-port`) for the CLI.
 */
export function validateOption(option: ProjectOption, value: unknown, subject = `option ${option.name}`): string | undefined {
  if (option.type === "boolean") {
    return typeof value === "boolean" ? undefined : `${subject} must be true or false`;
  }
  if (typeof value !== "number" || !Number.isInteger(value) || value < option.min || value > option.max) {
    return `${subject} must be an integer from ${option.min} to ${option.max}`;
  }
  return undefined;
}

/**
 * Completes partial answers with the spec's defaults and validates every field. Throws
 * InvalidAnswerError with a one-line message naming what is wrong.
 */
export function completeAnswers(
  spec: ProjectSpec,
  given: { name: string; module?: string; options?: Record<string, unknown> },
): Answers {
  const nameProblem = validateProjectName(given.name);
  if (nameProblem) throw new InvalidAnswerError(nameProblem);
  const module = given.module ?? defaultModulePath(given.name);
  const moduleProblem = validateModulePath(module);
  if (moduleProblem) throw new InvalidAnswerError(moduleProblem);

  const known = new Set(spec.options.map((o) => o.name));
  for (const key of Object.keys(given.options ?? {})) {
    if (!known.has(key)) throw new InvalidAnswerError(`project ${spec.id} has no option ${key}`);
  }
  const options: Record<string, OptionValue> = {};
  for (const option of spec.options) {
    const value = given.options?.[option.name] ?? option.default;
    const problem = validateOption(option, value);
    if (problem) throw new InvalidAnswerError(problem);
    options[option.name] = value as OptionValue;
  }
  return { name: given.name, module, options };
}
