import { describe, expect, it } from "vitest";

import { compareReleases, parseGoVersions } from "../../src/core/goToolchain.js";

describe("parseGoVersions", () => {
  it("reads the go and toolchain lines", () => {
    expect(parseGoVersions("module m\n\ngo 1.26.0\n\ntoolchain go1.26.10\n")).toEqual({ minimum: "1.26.0", toolchain: "1.26.10" });
  });

  it.each([
    ["module m\n\ngo 1.26.0\n", /no exact "toolchain go1\.N\.P" line/],
    ["module m\n\ngo 1.26\n\ntoolchain go1.26.10\n", /no exact "go 1\.N\.P" line/],
    ["module m\n\ngo 1.26.0\n\ntoolchain go1.26\n", /no exact "toolchain/],
    ["module m\n\ngo 1.26.3\n\ntoolchain go1.26.2\n", /toolchain go1\.26\.2 is older than go 1\.26\.3/],
  ])("refuses %j", (text, message) => {
    expect(() => parseGoVersions(text)).toThrow(message);
  });
});

describe("compareReleases", () => {
  it.each([
    ["1.26.9", "1.26.10", -1],
    ["1.26.10", "1.26.10", 0],
    ["1.27.0", "1.26.10", 1],
  ])("%s vs %s", (a, b, sign) => {
    expect(Math.sign(compareReleases(a, b))).toBe(sign);
  });
});
