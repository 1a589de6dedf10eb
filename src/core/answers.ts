import { deliveryOptionsOf, findDeliveryOption, type DeliveryOption } from "../specs/delivery.js";
import type { ProjectOption, ProjectSpec } from "../specs/schema.js";
import { validateModulePath } from "./validateModulePath.js";
import { validateProjectName } from "./validateProjectName.js";

export type OptionValue = number | boolean;

/** Everything a generation needs besides the spec: the answers a user gave, completed. */
export interface Answers {
  name: string;
  module: string;
  options: Record<string, OptionValue>;
  /** The delivery options that apply to the project (src/specs/delivery.ts), by name. */
  delivery: Record<string, string>;
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

/** Checks one delivery option's value; returns a message or undefined. subject as for validateOption. */
export function validateDelivery(option: DeliveryOption, value: unknown, subject = `delivery option ${option.name}`): string | undefined {
  const values = option.choices.map((choice) => choice.value);
  return typeof value === "string" && values.includes(value) ? undefined : `${subject} must be one of ${values.join(", ")}`;
}

/**
 * Why a delivery option given for spec's project cannot be taken (unknown, or not for this
 * project), or undefined. subject as for validateOption.
 */
export function deliveryMisfit(spec: ProjectSpec, name: string, subject = `delivery option ${name}`): string | undefined {
  const option = findDeliveryOption(name);
  if (!option) return `there is no ${subject}`;
  if (!spec.layers.includes(option.needs.layer)) return `${subject} is for projects that ship ${option.needs.gives}, and ${spec.id} does not`;
  return undefined;
}

/**
 * Completes partial answers with the spec's defaults and validates every field. Throws
 * InvalidAnswerError with a one-line message naming what is wrong.
 */
export function completeAnswers(
  spec: ProjectSpec,
  given: { name: string; module?: string; options?: Record<string, unknown>; delivery?: Record<string, unknown> },
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
  for (const name of Object.keys(given.delivery ?? {})) {
    const misfit = deliveryMisfit(spec, name);
    if (misfit) throw new InvalidAnswerError(misfit);
  }
  const delivery: Record<string, string> = {};
  for (const option of deliveryOptionsOf(spec)) {
    const value = given.delivery?.[option.name] ?? option.default;
    const problem = validateDelivery(option, value);
    if (problem) throw new InvalidAnswerError(problem);
    delivery[option.name] = value as string;
  }
  return { name: given.name, module, options, delivery };
}
