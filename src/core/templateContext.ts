import { findDeliveryOption } from "../specs/delivery.js";
import type { ProjectSpec, Service } from "../specs/schema.js";
import { defaultModulePath, type Answers } from "./answers.js";
import { templateGoVersions, type GoVersions } from "./goToolchain.js";
import { generatorName, generatorVersion } from "./packageInfo.js";
import { withoutDockerCommands } from "./runRoutes.js";

/** The data every template of a project is rendered with. */
export interface TemplateContext {
  name: string;
  module: string;
  options: Answers["options"];
  /** Each delivery option that applies: its value, and a flag for each choice (`delivery.image.is.scratch`). */
  delivery: Record<string, { value: string; is: Record<string, boolean> }>;
  project: Pick<ProjectSpec, "title">;
  /** From the template's go.mod: the go line and the pinned toolchain. */
  go: GoVersions;
  tools: ProjectSpec["tools"];
  services: Record<Service, boolean>;
  /** The services, as prose: "postgres, redis". */
  serviceNames: string;
  binaries: string[];
  /** The binary the container image starts. */
  mainBinary: string;
  hasServices: boolean;
  /** The service URLs integration tests read, with an example value each. */
  integrationEnv: Record<string, string>;
  /** Running on the host against services the user runs: the export and first-time commands. */
  withoutDockerCommands: string[];
  /** Whether the module path is the example.com one generated when --module was not given. */
  placeholderModule: boolean;
  /** Whether the project ships a container image (the docker layer). */
  docker: boolean;
  /** Whether the project ships release archives (the release layer: GoReleaser). */
  release: boolean;
}

/** How integration tests find each service, and a local example. */
const serviceEnv: Record<Service, [string, string]> = {
  postgres: ["DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"],
  redis: ["REDIS_URL", "redis://127.0.0.1:6379/0"],
  nats: ["NATS_URL", "nats://127.0.0.1:4222"],
  rabbitmq: ["AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"],
};

/** go: the project's Go versions, by default read from templates/<id>/go.mod. */
export function templateContext(spec: ProjectSpec, answers: Answers, go: GoVersions = templateGoVersions(spec.id)): TemplateContext {
  const binaries = spec.binaries.map((binary) => (binary === "{{name}}" ? answers.name : binary));
  return {
    name: answers.name,
    module: answers.module,
    options: answers.options,
    delivery: Object.fromEntries(
      Object.entries(answers.delivery).map(([name, value]) => [
        name,
        { value, is: Object.fromEntries(findDeliveryOption(name)!.choices.map((choice) => [choice.value, choice.value === value])) },
      ]),
    ),
    project: { title: spec.title },
    go,
    tools: spec.tools,
    services: {
      postgres: spec.services.includes("postgres"),
      redis: spec.services.includes("redis"),
      nats: spec.services.includes("nats"),
      rabbitmq: spec.services.includes("rabbitmq"),
    },
    serviceNames: spec.services.join(", "),
    binaries,
    mainBinary: binaries[0]!,
    hasServices: spec.services.length > 0,
    integrationEnv: Object.fromEntries(spec.services.map((service) => serviceEnv[service])),
    withoutDockerCommands: withoutDockerCommands(spec),
    placeholderModule: answers.module === defaultModulePath(answers.name),
    docker: spec.layers.includes("docker"),
    release: spec.layers.includes("release"),
  };
}

/** What .gopher-project.json records: enough to render the same tree again. */
export function manifest(spec: ProjectSpec, answers: Answers): string {
  const record = {
    generator: generatorName,
    generatorVersion,
    project: spec.id,
    answers: { name: answers.name, module: answers.module, options: answers.options, delivery: answers.delivery },
  };
  return `${JSON.stringify(record, null, 2)}\n`;
}
