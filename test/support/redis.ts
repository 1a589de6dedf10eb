import { randomBytes } from "node:crypto";
import { execa } from "execa";

/** A key prefix of its own for one test run; cleanup() deletes every key under it. */
export function freshKeyPrefix(label: string): { prefix: string; cleanup: () => Promise<void> } {
  const prefix = `${label}-${randomBytes(4).toString("hex")}:`;
  return {
    prefix,
    cleanup: async () => {
      await execa("sh", ["-c", `redis-cli --scan --pattern '${prefix}*' | xargs -r redis-cli del`]);
    },
  };
}
