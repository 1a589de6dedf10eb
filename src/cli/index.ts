#!/usr/bin/env node
import path from "node:path";
import { fileURLToPath } from "node:url";

import { exitCodes, receive, type Signal } from "./cleanups.js";
import { enableCompileCache } from "./compileCache.js";

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

// Before the rest of the CLI is loaded: it is what the cache is for.
enableCompileCache(path.dirname(fileURLToPath(import.meta.url)));

// No top-level await: the bundle is CommonJS (scripts/build.ts).
void import("./run.js").then(async ({ run }) => {
  process.exitCode = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    // Asked only by a run that generates: --help and --list never open standard input.
    get interactive() {
      return Boolean(process.stdin.isTTY && process.stdout.isTTY);
    },
    cwd: process.cwd(),
  });
});
