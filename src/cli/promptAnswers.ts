import path from "node:path";
import fs from "fs-extra";

import { defaultModulePath, validateOption, type OptionValue } from "../core/answers.js";
import { validateModulePath } from "../core/validateModulePath.js";
import { validateProjectName } from "../core/validateProjectName.js";
import { deliveryOptionsOf } from "../specs/delivery.js";
import type { ProjectSpec } from "../specs/schema.js";
import { UsageError } from "./flags.js";
import { quote } from "./placeProject.js";
import { checkTarget } from "./targetDirectory.js";
import { paint } from "./terminal.js";

/*
 * The questions, asked through plop's prompt layer (inquirer) one step at a time, so that each
 * answer is checked when it is given: a directory that cannot take the project is caught when it
 * is typed, not after every other question. Answered questions collapse to one line. Loaded only
 * when a prompt is really needed, so a non-interactive run never pays for inquirer.
 */

type Question = Record<string, unknown> & { name: string };

/** Which roadmap project: each choice shows its stack and description, and collapses to its title. */
export async function promptProject(specs: ProjectSpec[]): Promise<string> {
  const color = paint(process.stdout);
  const width = Math.min(100, process.stdout.columns || 80) - 6;
  const choices = specs.map((spec) => {
    const description = wrap(spec.description, width).map((line) => `    ${color.dim(line)}`);
    return { name: [`${spec.title} ${color.dim(`(${spec.stack.join(", ")})`)}`, ...description].join("\n"), short: spec.title, value: spec.id };
  });
  // The whole list at once when the terminal has the rows for it.
  const lines = choices.reduce((count, choice) => count + choice.name.split("\n").length, 0);
  const pageSize = Math.min(lines, Math.max(7, (process.stdout.rows || 24) - 4));
  return ask<string>({ type: "list", name: "project", message: "Which roadmap project?", choices, pageSize, loop: false });
}

/**
 * The directory to create the project in: the given one, or one typed now. A directory that can
 * never take a project (a file, a symbolic link, an unwritable parent) is refused when typed, and
 * an existing non-empty one (without --force) offers to choose another or to cancel.
 */
export async function promptDirectory(given: string | undefined, fallback: string, cwd: string, force: boolean): Promise<string> {
  let directory = given;
  for (;;) {
    if (directory === undefined) {
      directory = await ask<string>({
        type: "input",
        name: "directory",
        message: "Project directory",
        default: await freeDirectory(cwd, fallback),
        validate: async (value: string) => (value.trim() === "" ? "type a directory" : ((await placeProblem(path.resolve(cwd, value))) ?? true)),
      });
    } else {
      const problem = await placeProblem(path.resolve(cwd, directory));
      if (problem) throw new UsageError(problem);
    }
    if (force || !(await isNonEmptyDirectory(path.resolve(cwd, directory)))) return directory;
    const next = await ask<"another" | "cancel">({
      type: "list",
      name: "next",
      message: `${quote(directory)} is not empty (--force writes the project's files into it). What now?`,
      choices: [
        { name: "Choose another directory", short: "choose another", value: "another" },
        { name: "Cancel", short: "cancel", value: "cancel" },
      ],
    });
    if (next === "cancel") throw new UsageError("cancelled: nothing was written");
    directory = undefined;
  }
}

/** The project's name, asked when the directory's base name cannot be one. */
export async function promptName(directoryName: string, suggestion: string): Promise<string> {
  return ask<string>({
    type: "input",
    name: "name",
    message: `Project name, for the binary and image (${quote(directoryName)} cannot be one)`,
    default: suggestion,
    validate: (value: string) => validateProjectName(value, "project name") ?? true,
  });
}

/** The module path, the project's options and its delivery options, those the flags did not give. */
export async function promptAnswers(
  spec: ProjectSpec,
  given: { name: string; module?: string; options: Record<string, OptionValue>; delivery: Record<string, string> },
): Promise<{ module: string; options: Record<string, OptionValue>; delivery: Record<string, string> }> {
  const questions: Question[] = [];
  if (given.module === undefined) {
    questions.push({
      type: "input",
      name: "module",
      message: "Go module path",
      default: defaultModulePath(given.name),
      validate: (value: string) => validateModulePath(value) ?? true,
    });
  }
  for (const option of spec.options) {
    if (option.name in given.options) continue;
    if (option.type === "boolean") {
      questions.push({ type: "confirm", name: option.name, message: option.message, default: option.default });
      continue;
    }
    // An input read as text, not inquirer's number prompt: that one takes "80x" as the default.
    questions.push({
      type: "input",
      name: option.name,
      message: `${option.message} (${option.min}–${option.max})`,
      default: String(option.default),
      validate: (value: string) =>
        /^\s*-?[0-9]+\s*$/.test(value) && validateOption(option, Number(value)) === undefined
          ? true
          : `${quote(value)} is not an integer from ${option.min} to ${option.max}`,
    });
  }
  for (const option of deliveryOptionsOf(spec)) {
    if (option.name in given.delivery) continue;
    questions.push({
      type: "list",
      name: `delivery.${option.name}`,
      message: option.message,
      choices: option.choices.map((choice) => ({ name: `${choice.value} ${paint(process.stdout).dim(`(${choice.description})`)}`, short: choice.value, value: choice.value })),
      default: option.default,
    });
  }
  const answers = await (await loadInquirer()).prompt(questions);
  const options = { ...given.options };
  for (const option of spec.options) {
    if (!(option.name in answers)) continue;
    const value = answers[option.name];
    options[option.name] = option.type === "boolean" ? Boolean(value) : Number(value);
  }
  const delivery = { ...given.delivery };
  for (const option of deliveryOptionsOf(spec)) {
    const value = (answers.delivery as Record<string, unknown> | undefined)?.[option.name];
    if (typeof value === "string") delivery[option.name] = value;
  }
  return { module: given.module ?? String(answers.module), options, delivery };
}

/** What makes target unable to take a project whatever its contents, or undefined. */
async function placeProblem(target: string): Promise<string | undefined> {
  try {
    await checkTarget(target, true);
    return undefined;
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
}

const lstat = (target: string) => fs.lstat(target).catch(() => undefined);
const isEmptyDirectory = async (target: string) => (await fs.readdir(target)).length === 0;

async function isNonEmptyDirectory(target: string): Promise<boolean> {
  return (await lstat(target))?.isDirectory() === true && !(await isEmptyDirectory(target));
}

/** base, or base-2, base-3, …: the first that is missing or an empty directory, so the default can be taken. */
async function freeDirectory(cwd: string, base: string): Promise<string> {
  for (let n = 1; n < 100; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    const target = path.resolve(cwd, candidate);
    const entry = await lstat(target);
    if (!entry || (entry.isDirectory() && (await isEmptyDirectory(target)))) return candidate;
  }
  return base;
}

/** Words of text in lines of at most width characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

async function ask<T>(question: Question): Promise<T> {
  const answers = await (await loadInquirer()).prompt([question]);
  return answers[question.name] as T;
}

interface PromptLayer {
  prompt(questions: Question[]): Promise<Record<string, unknown>>;
}

let inquirer: Promise<PromptLayer> | undefined;

const showCursor = () => process.stdout.write("\u001b[?25h");

function loadInquirer(): Promise<PromptLayer> {
  inquirer ??= (async () => {
    const { default: nodePlop } = await import("node-plop");
    const plop = await nodePlop(undefined, { destBasePath: process.cwd(), force: false });
    // node-plop passes inquirer through at run time; its typings leave the property out.
    return (plop as unknown as { inquirer: PromptLayer }).inquirer;
  })();
  return inquirer.then((layer) => ({
    async prompt(questions) {
      // On Ctrl-C inquirer closes its readline and re-raises SIGINT to the process. Keep the
      // event loop alive until that signal lands, so the CLI's handler exits 130 (not 13, an
      // unsettled top-level await), and give the terminal its cursor back, which a list
      // prompt hides and inquirer shows again only once answered.
      const keepAlive = setInterval(() => undefined, 60_000);
      process.once("exit", showCursor);
      try {
        return await layer.prompt(questions);
      } finally {
        clearInterval(keepAlive);
        process.removeListener("exit", showCursor);
      }
    },
  }));
}
