import path from "node:path";

import { defaultModulePath, type Answers } from "../core/answers.js";
import { commented, shellWord, withoutDockerCommands } from "../core/runRoutes.js";
import type { ProjectSpec } from "../specs/schema.js";
import type { Io } from "./run.js";
import { paint, print } from "./terminal.js";

/**
 * The next steps after a generation: `cd`, then, for a project with services, the two routes its
 * README describes, with Docker (the services in docker compose, the app on the host) and without
 * (services the user already runs, the exact environment to export), then the tests. Every command
 * is one a fresh checkout runs as printed.
 */
export function nextSteps(target: string, cwd: string, spec: ProjectSpec, answers: Answers): { steps: string[][]; notes: string[] } {
  const fromCwd = path.relative(cwd, target);
  const relative = fromCwd === "" ? "." : fromCwd.startsWith("..") ? target : fromCwd;
  const steps: string[][] = [[`cd ${shellWord(relative)}`]];
  const services = spec.services.join(", ");
  if (spec.withoutDocker) {
    steps.push(
      [
        `# with Docker: ${services} in docker compose, the app on this machine`,
        commented("cp .env.example .env", "then replace every change-me"),
        commented("make up", `${services} only; make up-all runs the app in compose too`),
        "make run",
      ],
      [
        `# without Docker: ${services} you already run`,
        ...withoutDockerCommands(spec),
        "make run",
      ],
    );
  } else {
    steps.push(["make run"]);
  }
  steps.push([commented("make test", spec.withoutDocker ? "unit tests; README.md has the integration tests" : undefined)]);
  const notes: string[] = [];
  if (answers.module === defaultModulePath(answers.name)) {
    notes.push(`The module path ${answers.module} is a placeholder: pass --module next time, or rename it with go mod edit -module and your editor's rename.`);
  }
  return { steps, notes };
}

export function printNextSteps(io: Io, target: string, spec: ProjectSpec, answers: Answers): void {
  const { steps, notes } = nextSteps(target, io.cwd, spec, answers);
  const color = paint(io.stdout);
  const blocks = steps.map((block) => block.map((line) => `   ${line.startsWith("#") ? color.dim(line) : color.cyan(line)}`).join("\n"));
  print(io.stdout, `\n${color.green("Done.")} Next steps:\n${blocks.join("\n\n")}\n${notes.map((n) => `\n${n}\n`).join("")}`);
}
