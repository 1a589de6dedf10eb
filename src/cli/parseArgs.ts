import yargs from "yargs";

import type { ProjectOption } from "../specs/schema.js";

export interface CliArgs {
  directory?: string;
  project?: string;
  module?: string;
  yes: boolean;
  git: boolean;
  tidy: boolean;
  dryRun: boolean;
  force: boolean;
  list: boolean;
  /** Project options given as flags, by option name. */
  options: Record<string, number | boolean>;
}

export class UsageError extends Error {}

/** `httpPort` → `http-port`: every project option has a flag. */
export const optionFlag = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * Parses the command line. Returns the arguments, or the text to print for --help/--version.
 * Throws UsageError for unknown flags and malformed values.
 */
export async function parseArgs(
  argv: string[],
  projectOptions: ProjectOption[],
  version: string,
): Promise<CliArgs | { print: string }> {
  let printed: string | undefined;
  const parser = yargs(argv)
    .scriptName("create-gopher-project")
    .usage("$0 [directory] [options]\n\nScaffold a Go repository from the senior-Go roadmap's example projects.")
    .command("$0 [directory]", false, (y) =>
      y.positional("directory", { type: "string", describe: "Where to create the project (its base name becomes the binary name)" }),
    )
    .option("project", { alias: "p", type: "string", describe: "Roadmap project id (see --list)" })
    .option("module", { alias: "m", type: "string", describe: "Go module path (default example.com/<name>)" })
    .option("yes", { alias: "y", type: "boolean", default: false, describe: "Never prompt: defaults fill what flags do not say" })
    .option("git", { type: "boolean", default: true, describe: "git init and a first commit (--no-git to skip)" })
    .option("tidy", { type: "boolean", default: true, describe: "Run go mod tidy after writing (--no-tidy to skip)" })
    .option("dry-run", { type: "boolean", default: false, describe: "Print the tree that would be written; write nothing" })
    .option("force", { type: "boolean", default: false, describe: "Write into a non-empty directory (overwrites the project's files, deletes nothing)" })
    .option("list", { type: "boolean", default: false, describe: "List the roadmap projects" })
    .group(["project", "module", "yes", "git", "tidy", "dry-run", "force", "list"], "Options:");
  const seen = new Set<string>();
  for (const option of projectOptions) {
    const flag = optionFlag(option.name);
    if (seen.has(flag)) continue;
    seen.add(flag);
    // Integers are read as text and parsed here: yargs turns a missing value into undefined
    // (silently ignored), "" into 0 and "0x10" into 16.
    parser.option(flag, {
      type: option.type === "boolean" ? "boolean" : "string",
      describe: option.type === "boolean" ? option.message : `${option.message} (an integer)`,
    });
  }
  parser
    .group([...seen], "Project options:")
    .version(version)
    .help()
    .alias("help", "h")
    .alias("version", "v")
    .strict()
    .exitProcess(false)
    .fail((message, error) => {
      throw new UsageError(message ?? error?.message ?? "invalid arguments");
    })
    .wrap(Math.min(100, process.stdout.columns || 100));

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
  const options: Record<string, number | boolean> = {};
  for (const option of projectOptions) {
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
  if (parsed.directory === "") throw new UsageError("the directory must not be an empty string");
  return {
    directory: text(parsed.directory, "the directory"),
    project: text(parsed.project, "--project"),
    module: text(parsed.module, "--module"),
    yes: parsed.yes,
    git: parsed.git,
    tidy: parsed.tidy,
    dryRun: parsed["dry-run"],
    force: parsed.force,
    list: parsed.list,
    options,
  };
}
