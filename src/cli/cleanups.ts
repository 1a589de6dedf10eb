/**
 * What SIGINT and SIGTERM do at each moment of a run, so that an interrupted run leaves the disk
 * as it found it:
 * - before the run writes anything (parsing, prompts, checks): exit at once;
 * - while the project is prepared in its staging directory (render, go mod tidy, git): cancel.
 *   Running children (go, git) are killed through `cancelSignal` and awaited, the staging
 *   directory and the parents the run created are removed, and the run exits 130/143;
 * - from the moment placing starts: hold the signal. Placing finishes; then the run undoes it (a
 *   target it created is removed, an empty one it filled is emptied again) and exits 130/143. Only
 *   a --force merge into a directory that held files is kept, since what it replaced is gone.
 */
export type Signal = "SIGINT" | "SIGTERM";
type Phase = "idle" | "preparing" | "placing";

export const exitCodes: Readonly<Record<Signal, number>> = { SIGINT: 130, SIGTERM: 143 };

let phase: Phase = "idle";
let received: Signal | undefined;
const controller = new AbortController();

/** Given to every child process (execa's cancelSignal): a cancelled run kills them. */
export const cancelSignal = controller.signal;

/** Thrown where a cancelled run stops; the CLI turns it into its exit code. */
export class Cancelled extends Error {
  constructor(readonly signal: Signal) {
    super(`cancelled by ${signal}: nothing was written`);
  }
}

/** Records a signal. Returns true when the process should exit now (nothing written yet). */
export function receive(signal: Signal): boolean {
  if (phase === "idle") return true;
  received ??= signal;
  if (phase === "preparing") controller.abort();
  return false;
}

/** The run is about to write (parents, staging directory): signals cancel from now on. */
export function startPreparing(): void {
  phase = "preparing";
}

/** Throws Cancelled if a signal arrived; call it between the steps of preparing. */
export function throwIfCancelled(): void {
  if (received) throw new Cancelled(received);
}

/** The last moment a signal cancels: after this, signals are held until the run ends. */
export function startPlacing(): void {
  throwIfCancelled();
  phase = "placing";
}

/** A signal that arrived while placing, to exit with once the project is in place. */
export function heldSignal(): Signal | undefined {
  return received;
}
