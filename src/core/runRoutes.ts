import type { ProjectSpec } from "../specs/schema.js";

/**
 * The commands of the "without Docker" route, as the next steps print them and the READMEs show
 * them: one `export` of the services' URLs, then the first-time steps. One formatter for both, so
 * the two cannot drift.
 */
export function withoutDockerCommands(spec: ProjectSpec): string[] {
  if (!spec.withoutDocker) return [];
  const env = Object.entries(spec.withoutDocker.env).map(([key, value]) => `${key}=${shellWord(value)}`);
  return [`export ${env.join(" ")}`, ...spec.withoutDocker.setup.map((s) => commented(s.command, s.does))];
}

/** A command and, aligned after it, a comment saying what it does. */
export const commented = (command: string, does?: string): string => (does ? `${command.padEnd(22)} # ${does}` : command);

/** A path or value as one shell word: `My Links` → `'My Links'`. */
export const shellWord = (text: string): string => (/^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`);
