// The plumbing the service benchmarks share: a cancellation that Ctrl-C or SIGTERM triggers (the
// step under way stops; the bench's finally block still cleans up), readiness polling, and
// parsing figures out of a tool's output.
import type { ResultPromise } from "execa";

/** Ctrl-C or SIGTERM aborts the returned signal and sets exit code 130; step() names each step. */
export function cancellation(): { signal: AbortSignal; step: (what: string) => void } {
  const controller = new AbortController();
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    process.on(name, () => {
      if (!controller.signal.aborted) console.error(`${name}: stopping and cleaning up`);
      controller.abort();
      process.exitCode = 130;
    });
  }
  return {
    signal: controller.signal,
    step: (what) => {
      controller.signal.throwIfAborted();
      console.error(`… ${what}`);
    },
  };
}

/** Polls url until it answers 2xx; fails when child exits first, the time runs out, or signal aborts. */
export async function waitFor(url: string, child: ResultPromise, signal: AbortSignal, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode} before answering`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms: ${String(last)}`);
}

/** Parses `what` out of a program's output, or fails showing the output. */
export function grab(pattern: RegExp, output: string, what: string): RegExpExecArray {
  const match = pattern.exec(output);
  if (!match) throw new Error(`no ${what} in this output:\n${output}`);
  return match;
}

/** SIGTERM to the background process running under label, if any; warns unless it exits 0. */
export async function stop(running: Map<string, ResultPromise>, label: string): Promise<void> {
  const child = running.get(label);
  if (!child) return;
  running.delete(label);
  child.kill("SIGTERM");
  const result = await child;
  if (result.exitCode !== 0) {
    console.error(`warning: ${label} exited with ${result.exitCode ?? result.signal} on SIGTERM:\n${String(result.all).slice(-4000)}`);
  }
}
