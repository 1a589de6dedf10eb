import type { ProjectSpec } from "../specs/schema.js";
import { defaultModulePath, validateOption } from "../core/answers.js";
import { validateModulePath } from "../core/validateModulePath.js";
import { validateProjectName } from "../core/validateProjectName.js";

interface Given {
  directory?: string;
  module?: string;
  options: Record<string, number | boolean>;
}

type Question = Record<string, unknown> & { name: string };

/**
 * Asks, through plop's prompt layer (inquirer), only what the flags did not say. Loaded only
 * when a prompt is really needed, so a non-interactive run never pays for inquirer.
 */
export async function promptProject(specs: ProjectSpec[]): Promise<string> {
  const inquirer = await loadInquirer();
  const { project } = await inquirer.prompt([
    {
      type: "list",
      name: "project",
      message: "Which roadmap project?",
      choices: specs.map((spec) => ({ name: `${spec.title} — ${spec.stack.join(", ")}`, value: spec.id })),
    },
  ]);
  return project as string;
}

export async function promptAnswers(spec: ProjectSpec, given: Given): Promise<Required<Given>> {
  const questions: Question[] = [];
  if (given.directory === undefined) {
    questions.push({
      type: "input",
      name: "directory",
      message: "Project directory",
      default: spec.id,
      validate: (value: string) => validateProjectName(value.split("/").pop() ?? value) ?? true,
    });
  }
  if (given.module === undefined) {
    questions.push({
      type: "input",
      name: "module",
      message: "Go module path",
      default: (answers: { directory?: string }) =>
        defaultModulePath((answers.directory ?? given.directory ?? spec.id).split("/").pop()!),
      validate: (value: string) => validateModulePath(value) ?? true,
    });
  }
  for (const option of spec.options) {
    if (option.name in given.options) continue;
    questions.push(
      option.type === "boolean"
        ? { type: "confirm", name: option.name, message: option.message, default: option.default }
        : {
            type: "number",
            name: option.name,
            message: `${option.message} (${option.min}–${option.max})`,
            default: option.default,
            validate: (value: number) => validateOption(option, value) ?? true,
          },
    );
  }
  const inquirer = await loadInquirer();
  const answers = (await inquirer.prompt(questions)) as Record<string, unknown>;
  const options = { ...given.options };
  for (const option of spec.options) {
    if (option.name in answers) options[option.name] = answers[option.name] as number | boolean;
  }
  return {
    directory: given.directory ?? String(answers.directory),
    module: given.module ?? String(answers.module),
    options,
  };
}

interface PromptLayer {
  prompt(questions: Question[]): Promise<Record<string, unknown>>;
}

async function loadInquirer(): Promise<PromptLayer> {
  const { default: nodePlop } = await import("node-plop");
  const plop = await nodePlop(undefined, { destBasePath: process.cwd(), force: false });
  // node-plop passes inquirer through at run time; its typings leave the property out.
  const { inquirer } = plop as unknown as { inquirer: PromptLayer };
  return {
    async prompt(questions) {
      // On Ctrl-C inquirer closes its readline and re-raises SIGINT to the process. Keep the
      // event loop alive until that signal lands, so the CLI's handler exits 130 (not 13, an
      // unsettled top-level await).
      const keepAlive = setInterval(() => undefined, 60_000);
      try {
        return await inquirer.prompt(questions);
      } finally {
        clearInterval(keepAlive);
      }
    },
  };
}
