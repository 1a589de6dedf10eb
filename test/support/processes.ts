import { execa, type ResultPromise } from "execa";

import { childEnv } from "./environment.js";

export { freePort } from "../../scripts/lib/net.js";

/** Starts a binary in the background; its output is kept for the error message if it misbehaves. */
export function start(binary: string, args: string[], env: Record<string, string>): ResultPromise {
  return execa(binary, args, { env: childEnv(env), extendEnv: false, reject: false, all: true, buffer: true });
}

export async function waitFor(url: string, timeoutMs = 20_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return response;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms: ${String(last)}`);
}

/** SIGTERM, then the exit code and how long the process took to go. */
export async function terminate(child: ResultPromise): Promise<{ exitCode: number | undefined; ms: number; output: string }> {
  const begun = Date.now();
  child.kill("SIGTERM");
  const result = await child;
  return { exitCode: result.exitCode, ms: Date.now() - begun, output: String(result.all ?? "") };
}
