import type { StepReporter } from "./postSteps.js";

/** An output stream as Node gives it: a terminal has isTTY, hasColors and columns. */
type Stream = NodeJS.WritableStream & { isTTY?: boolean; hasColors?: () => boolean; columns?: number };

export interface Paint {
  bold(text: string): string;
  dim(text: string): string;
  cyan(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/**
 * Colors for what is written to stream: only on a terminal, and never with NO_COLOR set (as
 * Node's hasColors, which the prompts' colors follow, reads it: set at all, whatever its value).
 */
export function paint(stream: Stream, env: NodeJS.ProcessEnv = process.env): Paint {
  const on = stream.isTTY === true && env.NO_COLOR === undefined && stream.hasColors?.() === true;
  return on
    ? { bold: sgr(1, 22), dim: sgr(2, 22), cyan: sgr(36, 39), green: sgr(32, 39), yellow: sgr(33, 39) }
    : { bold: plain, dim: plain, cyan: plain, green: plain, yellow: plain };
}

/** The widest --help: yargs wraps it to the terminal's columns, at most these. */
export const maxHelpWidth = 100;

/** The columns --help is wrapped to: the terminal's, at most maxHelpWidth (that when not a terminal). */
export const helpWidth = (): number => Math.min(maxHelpWidth, process.stdout.columns || maxHelpWidth);

export const print = (stream: NodeJS.WritableStream, text: string): void => {
  stream.write(`${text}\n`);
};

/** The line a run on a terminal starts with. */
export function banner(stream: Stream, version: string): string {
  const color = paint(stream);
  return `\n${color.bold(color.cyan("create-gopher-project"))} ${color.dim(`v${version}`)}\n`;
}

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

export interface Steps extends StepReporter {
  /** Ends the step under way, if any: call it when the run stops, whatever the reason. */
  end(): void;
}

/**
 * Reports the steps of a run. Each step is a line `• message` on out; warnings are `! message`
 * on err. When err is a terminal, the step under way spins on err with its elapsed time until
 * the next step, warning or end, and then stays as its line, with the time it took if that was
 * a second or more. Otherwise (a pipe, a file, the tests) the lines are written as they come.
 */
export function reportSteps(out: Stream, err: Stream, now: () => number = () => performance.now()): Steps {
  const color = paint(out);
  const warnColor = paint(err);
  const warn = (message: string) => print(err, `${warnColor.yellow("!")} ${message}`);
  if (err.isTTY !== true) {
    return { step: (message) => print(out, `${color.dim("•")} ${message}`), warn, end: () => undefined };
  }
  let current: { message: string; started: number; timer: NodeJS.Timeout } | undefined;
  const spinColor = paint(err);
  const finish = () => {
    if (!current) return;
    clearInterval(current.timer);
    const took = now() - current.started;
    err.write("\r\u001b[2K");
    print(out, `${color.green("•")} ${current.message}${took >= 1000 ? color.dim(` ${seconds(took)}`) : ""}`);
    current = undefined;
  };
  return {
    step(message) {
      finish();
      const started = now();
      let frame = 0;
      const draw = () => {
        const columns = err.columns ?? 80;
        const line = `${frames[frame++ % frames.length]} ${message} ${seconds(now() - started)}`;
        // One row, whatever the width: a wrapped line could not be redrawn in place.
        const shown = line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line;
        err.write(`\r\u001b[2K${spinColor.cyan(shown.slice(0, 1))}${shown.slice(1)}`);
      };
      // Unref'd: a run that forgets to end its steps still exits.
      current = { message, started, timer: setInterval(draw, 80).unref() };
      draw();
    },
    warn(message) {
      finish();
      warn(message);
    },
    end: finish,
  };
}
