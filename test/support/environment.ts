import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

export { reachable } from "../../scripts/lib/net.js";

/**
 * What the machine offers the end-to-end tests. On a laptop without Go or a service the tests
 * that need it skip and say why; under CI=true a missing piece is a failure, never a skip.
 */
export const inCI = process.env.CI === "true";

export async function toolPath(command: string): Promise<string | undefined> {
  const which = await execa("sh", ["-c", `command -v ${command}`], { reject: false });
  if (which.exitCode === 0) return which.stdout.trim();
  const gopath = await execa("go", ["env", "GOPATH"], { reject: false });
  if (gopath.exitCode !== 0) return undefined;
  const candidate = path.join(gopath.stdout.trim(), "bin", command);
  const found = await execa(candidate, ["--version"], { reject: false });
  return found.failed && found.exitCode === undefined ? undefined : candidate;
}

export interface Requirement {
  what: string;
  ok: boolean;
}

/**
 * Returns undefined when every requirement is met. Otherwise: under CI it throws (a failure);
 * elsewhere it returns the reason to skip, which the caller prints.
 */
export function missing(requirements: Requirement[]): string | undefined {
  const absent = requirements.filter((r) => !r.ok).map((r) => r.what);
  if (absent.length === 0) return undefined;
  const reason = `needs ${absent.join(", ")}`;
  if (inCI) throw new Error(`CI=true and this machine lacks what the test ${reason}`);
  console.warn(`skipping: ${reason}`);
  recordSkip(absent);
  return reason;
}

export const services = {
  postgres: { host: "127.0.0.1", port: 5432, url: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" },
  redis: { host: "127.0.0.1", port: 6379, url: "redis://127.0.0.1:6379/0" },
  nats: { host: "127.0.0.1", port: 4222, url: "nats://127.0.0.1:4222" },
  rabbitmq: { host: "127.0.0.1", port: 5672, url: "amqp://guest:guest@127.0.0.1:5672/" },
} as const;

/**
 * The environment for processes the tests start: the test runner's own variables (vitest sets
 * BASE_URL, MODE, DEV, PROD, SSR, VITEST…) would leak into the generated programs' config.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || /^(BASE_URL|MODE|DEV|PROD|SSR|VITEST.*|TEST|NODE_ENV)$/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Where skipped checks are noted, for the summary test/support/globalSetup.ts prints last. */
export const skipLog = path.resolve("node_modules/.cache/create-gopher-project/skipped.log");

/** One test file's skip: what it lacked. */
export interface SkipEntry {
  file: string;
  absent: string[];
}

/**
 * The last lines of a run that skipped checks: which files, what was missing, and the commands
 * that fix it, between two rules no one scrolls past.
 */
export function skipSummary(entries: SkipEntry[]): string[] {
  const files = [...new Set(entries.map((e) => e.file))].sort();
  const absent = [...new Set(entries.flatMap((e) => e.absent))].sort();
  const fixes: string[] = [];
  if (absent.some((a) => a === "Go")) fixes.push("install Go (https://go.dev/dl/), then npm test again");
  if (absent.some((a) => /golangci-lint|actionlint/.test(a))) fixes.push("npm run tools");
  if (absent.some((a) => / on 127\.0\.0\.1:/.test(a))) fixes.push("start the services listed (README: Development)");
  if (absent.some((a) => /^(psql|tmux|wrk|setpriv)\b/.test(a))) fixes.push("install the missing commands (Debian: apt-get install postgresql-client tmux util-linux)");
  if (fixes.length === 0) fixes.push("provide what is missing, then npm test again");
  const rule = "!".repeat(78);
  return [
    rule,
    `NOT EVERYTHING RAN: ${files.length} test file(s) skipped their checks: ${files.join(", ")}`,
    `missing: ${absent.join(", ")}`,
    `fix: ${fixes.join("; ")}`,
    rule,
  ];
}

function recordSkip(absent: string[]): void {
  const file = callingTestFile();
  mkdirSync(path.dirname(skipLog), { recursive: true });
  appendFileSync(skipLog, `${JSON.stringify({ file, absent })}\n`);
}

/** The test file calling missing(), from the stack (vitest runs each file in its own worker). */
function callingTestFile(): string {
  const line = new Error().stack?.split("\n").find((l) => /\.test\.ts/.test(l));
  return /([^/\s(]+\.test\.ts)/.exec(line ?? "")?.[1] ?? "a test file";
}
