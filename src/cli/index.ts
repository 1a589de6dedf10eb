#!/usr/bin/env node
import { exitCodes, receive, type Signal } from "./cleanups.js";

// Installed before the rest of the CLI loads, so no moment of a run meets the default handler.
for (const signal of ["SIGINT", "SIGTERM"] as const satisfies Signal[]) {
  process.on(signal, () => {
    if (!receive(signal)) return; // the run cancels or finishes placing, then exits with the code
    process.stderr.write(`create-gopher-project: cancelled by ${signal}: nothing was written\n`);
    process.exit(exitCodes[signal]);
  });
}

// A reader that goes away (`--dry-run | head`) is not an error: the run goes on without output.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

const { run } = await import("./run.js");
process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  cwd: process.cwd(),
});
