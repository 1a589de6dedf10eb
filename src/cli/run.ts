import { tmpdir } from "node:os";
import path from "node:path";

import { completeAnswers, type Answers } from "../core/answers.js";
import { generatorVersion } from "../core/packageInfo.js";
import { validateModulePath } from "../core/validateModulePath.js";
import { suggestProjectName, validateProjectName } from "../core/validateProjectName.js";
import { catalogue, findSpec } from "../specs/catalogue.js";
import type { ProjectSpec } from "../specs/schema.js";
import { Cancelled, exitCodes, heldSignal, startPreparing, throwIfCancelled } from "./cleanups.js";
import { checkDeliveryFlags, checkOptionFlags, UsageError } from "./flags.js";
import type { CliArgs } from "./parseArgs.js";
import { prerenderedHelp } from "./prerenderedHelp.js";
import { printNextSteps } from "./printNextSteps.js";
import { banner, helpWidth, print, reportSteps } from "./terminal.js";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  interactive: boolean;
  cwd: string;
}

/**
 * An error is one line: our messages quote user input with JSON.stringify, and any control
 * character that still comes through (yargs echoing an argument, say) is escaped the same way.
 */
const oneLine = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));

/** The CLI: gathers answers, calls the generation core, moves the tree into place. Returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    // Alone on the command line, --help and --list need no parser: yargs is left unloaded.
    if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h") && prerenderedHelp?.width === helpWidth()) {
      print(io.stdout, prerenderedHelp.text);
      return 0;
    }
    if (argv.length === 1 && argv[0] === "--list") {
      printCatalogue(io.stdout);
      return 0;
    }
    const { parseArgs } = await import("./parseArgs.js");
    const args = await parseArgs(argv, catalogue(), generatorVersion);
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

/**
 * Gathers the answers and writes the project. Returns the exit code. Each answer is checked as
 * soon as it is known, flag or prompt, so a bad one stops the run before the next question.
 */
async function create(args: CliArgs, io: Io): Promise<number> {
  const prompting = io.interactive && !args.yes;
  if (io.interactive) io.stdout.write(banner(io.stdout, generatorVersion));
  checkNameAndModuleFlags(args);
  // Loaded only when a question is really asked: a non-interactive run never pays for inquirer.
  const prompts = prompting ? await import("./promptAnswers.js") : undefined;
  const projectId = args.project ?? (await prompts?.promptProject(catalogue()));
  if (projectId === undefined) {
    throw new UsageError(`no project chosen: pass --project (one of: ${catalogue().map((s) => s.id).join(", ")})`);
  }
  const spec = findSpec(projectId);
  checkOptionFlags(spec, args.options, catalogue());
  checkDeliveryFlags(spec, args.delivery);
  const directory = prompts ? await prompts.promptDirectory(args.directory, spec.id, io.cwd, args.force) : (args.directory ?? spec.id);
  const target = path.resolve(io.cwd, directory);
  const name = args.name ?? (await projectName(path.basename(target), spec, prompts));
  const gathered = prompts ? await prompts.promptAnswers(spec, { name, module: args.module, options: args.options, delivery: args.delivery }) : args;
  const answers = completeAnswers(spec, { name, module: gathered.module, options: gathered.options, delivery: gathered.delivery });
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
  const report = reportSteps(io.stdout, io.stderr);
  try {
    report.step(`rendering ${spec.title} into ${target}`);
    await writeProject(target, args.force, async (dir) => {
      const files = await generateProject(spec, answers, dir);
      report.step(`rendered ${files.length} files`);
      throwIfCancelled();
      if (args.tidy) await tidyGoModule(dir, report);
      if (args.git) await initGitRepository(dir, lookFrom, report);
    });
  } finally {
    report.end();
  }
  const signal = heldSignal();
  if (signal) {
    // Only a --force merge is kept (writeProject undoes the others): what it replaced is gone.
    print(
      io.stderr,
      `create-gopher-project: ${signal} arrived while the project was being written into ${JSON.stringify(target)} with --force: ` +
        "the files it replaced cannot be restored, so it is complete there",
    );
    return exitCodes[signal];
  }
  printNextSteps(io, target, spec, answers);
  return 0;
}

/** --name and --module are checked before any question, in the flags' own words. */
function checkNameAndModuleFlags(args: CliArgs): void {
  const problem = (args.name === undefined ? undefined : validateProjectName(args.name, "--name")) ??
    (args.module === undefined ? undefined : validateModulePath(args.module));
  if (problem) throw new UsageError(problem);
}

/**
 * The project's name when --name does not give it: the directory's base name if it can be one;
 * otherwise asked for (a slug of it as the default), or, without prompts, a usage error that says
 * to pass --name.
 */
async function projectName(base: string, spec: ProjectSpec, prompts: typeof import("./promptAnswers.js") | undefined): Promise<string> {
  const problem = validateProjectName(base);
  if (!problem) return base;
  const suggestion = suggestProjectName(base) ?? spec.id;
  if (prompts) return prompts.promptName(base, suggestion);
  throw new UsageError(`${problem}; to keep the directory, name the project with --name (such as --name ${suggestion})`);
}

async function dryRun(spec: ProjectSpec, answers: Answers, target: string, io: Io): Promise<void> {
  // Loaded here, with the generator: --help and --list never need node:fs/promises.
  const [{ generateProject }, { mkdtemp, rm }] = await Promise.all([import("../core/generateProject.js"), import("node:fs/promises")]);
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

function isPromptInterrupt(error: unknown): boolean {
  return error instanceof Error && (error.name === "ExitPromptError" || /force closed/i.test(error.message));
}
