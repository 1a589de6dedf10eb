import { z } from "zod";


/** A Go module path with a pinned, exact semantic version (no ranges, no "latest"). */
const pinnedVersion = z
  .string()
  .regex(/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+incompatible)?$/, "must be an exact version such as v1.2.3");

const identifier = z.string().regex(/^[a-z][a-z0-9-]*$/, "must be lowercase letters, digits and dashes");

const optionSchema = z.discriminatedUnion("type", [
  z.strictObject({
    name: z.string().regex(/^[a-z][A-Za-z0-9]*$/, "must be camelCase"),
    type: z.literal("integer"),
    message: z.string().min(1),
    default: z.number().int(),
    min: z.number().int(),
    max: z.number().int(),
  }),
  z.strictObject({
    name: z.string().regex(/^[a-z][A-Za-z0-9]*$/, "must be camelCase"),
    type: z.literal("boolean"),
    message: z.string().min(1),
    default: z.boolean(),
  }),
]);

export const serviceSchema = z.enum(["postgres", "redis", "nats", "rabbitmq"]);

/** A first-time or run step of a route in the next steps and the README: a command and what it does. */
const stepSchema = z.strictObject({ command: z.string().min(1), does: z.string().min(1) });

export const projectSpecSchema = z.strictObject({
  id: identifier,
  title: z.string().min(1),
  description: z.string().min(20),
  /** The roadmap stage this project trains. */
  stage: z.string().min(1),
  stack: z.array(z.string().min(1)).min(1),
  /** Tools the generated repo pins (CI, Makefile). */
  tools: z.strictObject({
    golangciLint: pinnedVersion,
    govulncheck: pinnedVersion,
  }),
  services: z.array(serviceSchema),
  /**
   * Running on the host without Docker, against services the user already runs: the environment to
   * export (one variable per service) and the first-time steps before `make run`. Required when the
   * project has services.
   */
  withoutDocker: z
    .strictObject({
      env: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string().min(1)),
      setup: z.array(stepSchema),
    })
    .optional(),
  /** Binaries under cmd/; "{{name}}" stands for the project's own name. */
  binaries: z.array(z.string().regex(/^(\{\{name\}\}|[a-z][a-z0-9-]*)$/)).min(1),
  /** Template folders rendered in order into the same tree; a later layer overrides an earlier one. */
  layers: z.array(identifier).min(1),
  options: z.array(optionSchema),
}).superRefine((spec, ctx) => {
  if (spec.services.length > 0 && !spec.withoutDocker) {
    ctx.addIssue({ code: "custom", path: ["withoutDocker"], message: "is required when the project has services" });
  }
  if (!spec.layers.includes(spec.id)) {
    ctx.addIssue({ code: "custom", path: ["layers"], message: `must include the project's own layer "${spec.id}"` });
  }
});

export type ProjectSpec = z.infer<typeof projectSpecSchema>;
export type ProjectOption = ProjectSpec["options"][number];
export type Service = z.infer<typeof serviceSchema>;

/** Validates raw spec data; the error names the spec and the offending field. */
export function parseSpec(raw: unknown): ProjectSpec {
  const result = projectSpecSchema.safeParse(raw);
  if (result.success) return result.data;
  const id = typeof raw === "object" && raw !== null && "id" in raw ? String(raw.id) : "<unknown>";
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  throw new Error(`invalid project spec "${id}": ${field}: ${issue.message}`);
}
