// The plumbing the service benchmarks share: a cancellation that Ctrl-C or SIGTERM triggers (the
// step under way stops; the bench's finally block still cleans up), readiness polling, parsing
// figures out of a tool's output, medians and a process's CPU time.
import { readFile } from "node:fs/promises";
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

/** The median of xs (the mean of the middle two for an even count); NaN for none. */
export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Seconds of CPU (user + system) process pid has used so far, from /proc; NaN elsewhere. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name, which is in parentheses and may hold spaces; utime and
    // stime are in clock ticks, 100 a second on Linux (USER_HZ).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
