import yargs from "yargs";

import type { OptionValue } from "../core/answers.js";
import { deliveryOptions } from "../specs/delivery.js";
import type { ProjectSpec } from "../specs/schema.js";
import { optionFlag, UsageError } from "./flags.js";
import { helpWidth } from "./terminal.js";

export interface CliArgs {
  directory?: string;
  project?: string;
  module?: string;
  /** The project's name when it is not the directory's base name. */
  name?: string;
  yes: boolean;
  git: boolean;
  tidy: boolean;
  dryRun: boolean;
  force: boolean;
  list: boolean;
  /** Project options given as flags, by option name. */
  options: Record<string, OptionValue>;
  /** Delivery options given as flags, by option name (src/specs/delivery.ts). */
  delivery: Record<string, string>;
}

const examples: readonly (readonly [command: string, comment: string])[] = [
  ["$0", "asks what the flags do not say"],
  ["$0 links -p url-shortener -y", "every default, no prompts"],
  ["$0 links -p url-shortener --http-port 9000", "a project option"],
  ['$0 "My Links" -p cli --name my-links', "the name is not the directory's"],
  ["$0 jobs -p job-queue --dry-run", "writes nothing"],
];

/**
 * Parses the command line. Returns the arguments, or the text to print for --help/--version,
 * wrapped to width columns.
 * Throws UsageError for unknown flags and malformed values.
 */
export async function parseArgs(argv: string[], specs: ProjectSpec[], version: string, width = helpWidth()): Promise<CliArgs | { print: string }> {
  let printed: string | undefined;
  const parser = yargs(argv)
    .scriptName("create-gopher-project")
    .usage("$0 [directory] [options]\n\nScaffold a Go repository from the senior-Go roadmap's example projects.")
    .command("$0 [directory]", false, (y) =>
      y.positional("directory", { type: "string", describe: "Where to create the project (its base name is the project's name unless --name says otherwise)" }),
    )
    .option("project", { alias: "p", type: "string", describe: "Roadmap project id (see --list)" })
    .option("name", { type: "string", describe: "Project name: binary, image and cmd/<name> (default: the directory's base name)" })
    .option("module", { alias: "m", type: "string", describe: "Go module path (default example.com/<name>)" })
    .option("yes", { alias: "y", type: "boolean", default: false, describe: "Never prompt: defaults fill what flags do not say" })
    .option("git", { type: "boolean", default: true, describe: "git init and a first commit (--no-git to skip)" })
    .option("tidy", { type: "boolean", default: true, describe: "Run go mod tidy after writing (--no-tidy to skip)" })
    .option("dry-run", { type: "boolean", default: false, describe: "Print the tree that would be written; write nothing" })
    .option("force", { type: "boolean", default: false, describe: "Write into a non-empty directory (overwrites the project's files, deletes nothing)" })
    .option("list", { type: "boolean", default: false, describe: "List the roadmap projects" })
    .group(["project", "name", "module", "yes", "git", "tidy", "dry-run", "force", "list"], "Options:")
    // Integer options are declared without a type and numbers are not parsed, so their values
    // stay text and are checked below: yargs would turn a missing value into undefined (silently
    // ignored), "" into 0 and "0x10" into 16.
    .parserConfiguration({ "parse-numbers": false });
  // Each project's options under its own heading, with the default and the range. A flag two
  // projects share is declared once, under the first.
  const declared = new Set<string>();
  for (const spec of specs) {
    const flags: string[] = [];
    for (const option of spec.options) {
      const flag = optionFlag(option.name);
      if (declared.has(flag)) continue;
      declared.add(flag);
      flags.push(flag);
      parser.option(
        flag,
        option.type === "boolean"
          ? { type: "boolean", describe: option.message, defaultDescription: String(option.default) }
          : { describe: `${option.message}: an integer from ${option.min} to ${option.max}`, defaultDescription: String(option.default) },
      );
    }
    if (flags.length > 0) parser.group(flags, `${spec.title} options (--project ${spec.id}):`);
  }
  // The delivery options, under their own heading: every project they apply to takes them.
  for (const option of deliveryOptions) {
    const choices = option.choices.map((choice) => choice.value).join(", ");
    parser.option(optionFlag(option.name), {
      describe: `${option.message} (projects that ship ${option.needs.gives}): ${choices}`,
      defaultDescription: option.default,
    });
  }
  parser.group(
    deliveryOptions.map((option) => optionFlag(option.name)),
    "Delivery options (every project they apply to):",
  );
  // Examples in one column, each with its comment: yargs' two columns would wrap the commands.
  const commandWidth = Math.max(...examples.map(([command]) => command.length));
  for (const [command, comment] of examples) parser.example(`${command.padEnd(commandWidth)}  # ${comment}`, "");
  parser
    .version(version)
    .help()
    .alias("help", "h")
    .alias("version", "v")
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw new UsageError(message ?? error?.message ?? "invalid arguments");
    })
    .wrap(width);

  const parsed = await parser.parseAsync(argv, {}, (_error, _argv, output) => {
    if (output) printed = output;
  });
  if (printed !== undefined) return { print: printed };

  // A flag given without its value is a usage error, never a silent default.
  const text = (value: unknown, flag: string): string | undefined => {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) throw new UsageError(`${flag} is given more than once`);
    if (typeof value !== "string" || value === "") throw new UsageError(`${flag} needs a value`);
    return value;
  };
  const options: Record<string, OptionValue> = {};
  for (const option of specs.flatMap((spec) => spec.options)) {
    const flag = `--${optionFlag(option.name)}`;
    const value = parsed[optionFlag(option.name)];
    if (option.type === "boolean") {
      if (typeof value === "boolean") options[option.name] = value;
      continue;
    }
    const digits = text(value, flag);
    if (digits === undefined) continue;
    if (!/^-?[0-9]+$/.test(digits)) throw new UsageError(`${flag} needs an integer, not ${JSON.stringify(digits)}`);
    options[option.name] = Number(digits);
  }
  const delivery: Record<string, string> = {};
  for (const option of deliveryOptions) {
    const value = text(parsed[optionFlag(option.name)], `--${optionFlag(option.name)}`);
    if (value !== undefined) delivery[option.name] = value;
  }
  if (parsed.directory === "") throw new UsageError("the directory must not be an empty string");
  return {
    directory: text(parsed.directory, "the directory"),
    project: text(parsed.project, "--project"),
    module: text(parsed.module, "--module"),
    name: text(parsed.name, "--name"),
    yes: parsed.yes,
    git: parsed.git,
    tidy: parsed.tidy,
    dryRun: parsed["dry-run"],
    force: parsed.force,
    list: parsed.list,
    options,
    delivery,
  };
}
