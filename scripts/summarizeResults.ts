// Reads vitest's JSON report and prints one plain closing line: "tests: N passed, N failed, N skipped".
import { readFileSync } from "node:fs";

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numTotalTests: number;
}

const report = JSON.parse(readFileSync(process.argv[2] ?? ".ci/results.json", "utf8")) as Report;
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (report.numTotalTests === 0 || report.numFailedTests > 0) process.exit(1);
if (process.env.CI === "true" && skipped > 0) {
  console.error("CI=true: a skipped test means a missing tool or service");
  process.exit(1);
}
