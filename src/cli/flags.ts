import { deliveryMisfit, validateDelivery, validateOption, type OptionValue } from "../core/answers.js";
import { findDeliveryOption } from "../specs/delivery.js";
import type { ProjectSpec } from "../specs/schema.js";

/** Bad input on the command line or in an answer: printed as one line, exit 1. */
export class UsageError extends Error {}

/** `httpPort` → `http-port`: every project option has a flag. */
export const optionFlag = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Checks the options given as flags against the chosen project, before any prompt, in the
 * flags' own spelling: `--http-port must be an integer from 1024 to 65535`.
 */
export function checkOptionFlags(spec: ProjectSpec, options: Record<string, OptionValue>, specs: ProjectSpec[]): void {
  for (const [name, value] of Object.entries(options)) {
    const flag = `--${optionFlag(name)}`;
    const option = spec.options.find((candidate) => candidate.name === name);
    if (!option) {
      const owners = specs.filter((other) => other.options.some((candidate) => candidate.name === name)).map((other) => other.id);
      throw new UsageError(`${flag} is an option of ${owners.join(", ")}, not of ${spec.id}`);
    }
    const problem = validateOption(option, value, flag);
    if (problem) throw new UsageError(problem);
  }
}

/**
 * Checks the delivery options given as flags against the chosen project, before any prompt:
 * `--image must be one of distroless, scratch`, `--image is for projects that ship a container
 * image, and cli does not`.
 */
export function checkDeliveryFlags(spec: ProjectSpec, delivery: Record<string, string>): void {
  for (const [name, value] of Object.entries(delivery)) {
    const flag = `--${optionFlag(name)}`;
    const problem = deliveryMisfit(spec, name, flag) ?? validateDelivery(findDeliveryOption(name)!, value, flag);
    if (problem) throw new UsageError(problem);
  }
}
