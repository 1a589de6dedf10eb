import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { completeAnswers, type Answers } from "../core/answers.js";
import { generatorVersion } from "../core/packageInfo.js";
import { catalogue, findSpec } from "../specs/catalogue.js";
import type { ProjectSpec } from "../specs/schema.js";
import { Cancelled, exitCodes, heldSignal, startPreparing, throwIfCancelled } from "./cleanups.js";
import { parseArgs, UsageError, type CliArgs } from "./parseArgs.js";
import type { StepReporter } from "./postSteps.js";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  interactive: boolean;
  cwd: string;
}

const print = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);

/**
 * An error is one line: our messages quote user input with JSON.stringify, and any control
 * character that still comes through (yargs echoing an argument, say) is escaped the same way.
 */
const oneLine = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));

/** The CLI: gathers answers, calls the generation core, moves the tree into place. Returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const args = await parseArgs(argv, catalogue().flatMap((spec) => spec.options), generatorVersion);
    if ("print" in args) {
      print(io.stdout, args.print);
      return 0;
    }
    if (args.list) {
      printCatalogue(io.stdout);
      return 0;
    }
    return await create(args, io);
  } catch (error) {
    if (isPromptInterrupt(error)) return exitCodes.SIGINT;
    print(io.stderr, `create-gopher-project: ${oneLine(error instanceof Error ? error.message : String(error))}`);
    return error instanceof Cancelled ? exitCodes[error.signal] : 1;
  }
}

function printCatalogue(out: NodeJS.WritableStream): void {
  const specs = catalogue();
  const width = Math.max(...specs.map((spec) => spec.id.length));
  for (const spec of specs) print(out, `${spec.id.padEnd(width)}  ${spec.title}: ${spec.stack.join(", ")}`);
}

/** Gathers the answers and writes the project. Returns the exit code. */
async function create(args: CliArgs, io: Io): Promise<number> {
  const prompting = io.interactive && !args.yes;
  const projectId = args.project ?? (prompting ? await promptFor("project", catalogue()) : undefined);
  if (projectId === undefined) {
    throw new UsageError(`no project chosen: pass --project (one of: ${catalogue().map((s) => s.id).join(", ")})`);
  }
  const spec = findSpec(projectId);
  const gathered = prompting ? await promptFor("answers", spec, args) : undefined;
  const directory = gathered?.directory ?? args.directory ?? spec.id;
  const target = path.resolve(io.cwd, directory);
  const answers = completeAnswers(spec, {
    name: path.basename(target),
    module: gathered?.module ?? args.module,
    options: gathered?.options ?? args.options,
  });
  if (args.dryRun) {
    await dryRun(spec, answers, target, io);
    return 0;
  }
  // Loaded only now: --help, --list and bad input never pay for the generator and execa.
  const [{ generateProject }, { checkTarget, writeProject }, { initGitRepository, tidyGoModule }] = await Promise.all([
    import("../core/generateProject.js"),
    import("./targetDirectory.js"),
    import("./postSteps.js"),
  ]);
  const lookFrom = await checkTarget(target, args.force);

  // Everything happens in the staging directory; placing the finished tree is the last step.
  const report = reporter(io);
  report.step(`rendering ${spec.title} into ${target}`);
  await writeProject(target, args.force, async (dir) => {
    const files = await generateProject(spec, answers, dir);
    report.step(`rendered ${files.length} files`);
    throwIfCancelled();
    if (args.tidy) await tidyGoModule(dir, report);
    if (args.git) await initGitRepository(dir, lookFrom, report);
  });
  const signal = heldSignal();
  if (signal) {
    print(io.stderr, `create-gopher-project: ${signal} arrived while the project was being placed: it is complete in ${JSON.stringify(target)}`);
    return exitCodes[signal];
  }
  printNextSteps(io, target, spec);
  return 0;
}

async function dryRun(spec: ProjectSpec, answers: Answers, target: string, io: Io): Promise<void> {
  const { generateProject } = await import("../core/generateProject.js");
  startPreparing();
  const staging = await mkdtemp(path.join(tmpdir(), "create-gopher-project-"));
  try {
    const files = await generateProject(spec, answers, staging);
    throwIfCancelled();
    print(io.stdout, `dry run: ${spec.title} would write ${files.length} files into ${target}:`);
    for (const file of files) print(io.stdout, `  ${file}`);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function reporter(io: Io): StepReporter {
  return {
    step: (message) => print(io.stdout, `• ${message}`),
    warn: (message) => print(io.stderr, `! ${message}`),
  };
}

function printNextSteps(io: Io, target: string, spec: ProjectSpec): void {
  const fromCwd = path.relative(io.cwd, target);
  const relative = fromCwd === "" ? "." : fromCwd.startsWith("..") ? target : fromCwd;
  const steps = [`cd ${relative}`];
  if (spec.services.length > 0) {
    steps.push("cp .env.example .env   # then replace the placeholders", `make up                # ${spec.services.join(", ")} in docker compose`);
  }
  steps.push("make run", "make test");
  print(io.stdout, `\nDone. Next steps:\n${steps.map((step) => `   ${step}`).join("\n")}\n`);
}

async function promptFor(what: "project", specs: ProjectSpec[]): Promise<string>;
async function promptFor(
  what: "answers",
  spec: ProjectSpec,
  args: CliArgs,
): Promise<{ directory: string; module: string; options: Record<string, number | boolean> }>;
async function promptFor(what: string, subject: unknown, args?: CliArgs): Promise<unknown> {
  const prompts = await import("./promptAnswers.js");
  if (what === "project") return prompts.promptProject(subject as ProjectSpec[]);
  return prompts.promptAnswers(subject as ProjectSpec, {
    directory: args!.directory,
    module: args!.module,
    options: args!.options,
  });
}

function isPromptInterrupt(error: unknown): boolean {
  return error instanceof Error && (error.name === "ExitPromptError" || /force closed/i.test(error.message));
}
