import { expect, it } from "vitest";

import { expectGofmtClean, expectPinnedToolchain, expectTidyNoop, lint, raceTests, vet } from "./goLadder.js";
import { expectNoReachableVulnerabilities, vulndbVersion } from "./vulncheck.js";

export interface LadderOptions {
  golangciLint: string;
  /** The govulncheck version the generated repository pins (its spec's tools.govulncheck). */
  govulncheck: string;
  /** Build tags the repository's test files use (integration), vetted and linted too. */
  tags: string[];
  /** The integration run: the services' URLs, and the tests that must PASS in it (by name). */
  integration?: {
    against: string;
    env: Record<string, string>;
    mustPass: string[];
    /** Further assertions on the verbose output. */
    check?: (output: string) => void;
  };
  /** Extra words for the unit-test step's name. */
  unitTests?: string;
}

/**
 * Registers the steps every generated repository climbs, in order: the pinned toolchain, tidy is
 * a no-op, gofmt, vet, golangci-lint (each with the repository's build tags too), govulncheck
 * against the pinned vulnerability database, race tests, and the
 * integration tests against the real services, none skipped. dir() is read when a step runs.
 */
export function itClimbsTheGoLadder(dir: () => string, options: LadderOptions): void {
  const withTags = async (step: (tags: string[]) => Promise<void>) => {
    await step([]);
    if (options.tags.length > 0) await step(options.tags);
  };
  const tagged = options.tags.length > 0 ? `, with and without the ${options.tags.join(",")} tag` : "";

  it("runs the exact Go toolchain go.mod pins", () => expectPinnedToolchain(dir()), 300_000);
  it("go mod tidy is a no-op", () => expectTidyNoop(dir()), 300_000);
  it("is gofmt-clean", () => expectGofmtClean(dir()));
  it(`passes go vet${tagged}`, () => withTags((tags) => vet(dir(), tags)), 300_000);
  it(`passes golangci-lint with the emitted config${tagged}`, () => withTags((tags) => lint(dir(), options.golangciLint, tags)), 600_000);
  it(`reaches no known vulnerability (govulncheck ${options.govulncheck}, vulndb ${vulndbVersion}, offline)`, async () => {
    await expectNoReachableVulnerabilities(dir(), options.govulncheck);
  }, 900_000);
  it(`passes its unit tests${options.unitTests ?? ""} with the race detector`, () => raceTests(dir()), 900_000);

  const { integration } = options;
  if (!integration) return;
  it(`passes its integration tests against the real ${integration.against}`, async () => {
    const result = await raceTests(dir(), integration.env, options.tags);
    // -v output: every test ran against the services, none skipped for want of one.
    expect(result.all).not.toMatch(/--- SKIP/);
    for (const test of integration.mustPass) expect(result.all).toMatch(new RegExp(`--- PASS: ${test} \\(`));
    integration.check?.(String(result.all));
  }, 900_000);
}
