import type { ProjectSpec } from "./schema.js";

/**
 * How a project is delivered, beside what it is: options defined once, here, for every project
 * they apply to, never per project. Each one is a flag (`--image scratch`), a question when no
 * flag gave it, a key of `.gopher-project.json`'s `answers.delivery`, and a value in the
 * templates' context (`delivery.image.value`, `delivery.image.is.scratch`), which selects a
 * fragment of a shared template. README.md ("Adding a delivery option") says how one is added.
 */
export interface DeliveryOption {
  /** camelCase; its flag is the same in kebab-case (`--image`). */
  name: string;
  /** The question, and the flag's description in --help. */
  message: string;
  choices: readonly { value: string; description: string }[];
  default: string;
  /** The template layer a project has when the option applies to it, and what that layer gives. */
  needs: { layer: string; gives: string };
}

export const deliveryOptions: readonly DeliveryOption[] = [
  {
    name: "image",
    message: "Base of the container image",
    choices: [
      { value: "distroless", description: "gcr.io/distroless/static-debian13:nonroot" },
      { value: "scratch", description: "scratch, with CA certificates, time zones and a numeric non-root user copied in" },
    ],
    default: "distroless",
    needs: { layer: "docker", gives: "a container image" },
  },
];

/** The delivery options that apply to spec's project, in their order. */
export function deliveryOptionsOf(spec: ProjectSpec): DeliveryOption[] {
  return deliveryOptions.filter((option) => spec.layers.includes(option.needs.layer));
}

/** The option called name, or undefined. */
export const findDeliveryOption = (name: string): DeliveryOption | undefined => deliveryOptions.find((option) => option.name === name);
