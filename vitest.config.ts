import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Prints, last, what a run skipped and how to fix it.
    globalSetup: ["test/support/globalSetup.ts"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    // The Go ladder compiles whole repositories; running those files side by side on a
    // two-core machine only makes each slower.
    fileParallelism: false,
    reporters: ["default", "json"],
    outputFile: { json: ".ci/results.json" },
  },
});
