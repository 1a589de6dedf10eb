import { describe, expect, it } from "vitest";

import { placeholderModule, rewriteModulePaths } from "../../src/core/modulePaths.js";

const rewrites = [
  { from: placeholderModule("cli"), to: "github.com/Acme/tool/v2" },
  { from: placeholderModule("plumbing"), to: "github.com/Acme/tool/v2/internal" },
];

describe("rewriteModulePaths", () => {
  it.each([
    ["module example.com/gopher-template/cli\n", "module github.com/Acme/tool/v2\n"],
    ['import "example.com/gopher-template/cli/internal/api"', 'import "github.com/Acme/tool/v2/internal/api"'],
    ['"example.com/gopher-template/plumbing/httpserver"', '"github.com/Acme/tool/v2/internal/httpserver"'],
    ["-X example.com/gopher-template/cli/internal/version.v=1", "-X github.com/Acme/tool/v2/internal/version.v=1"],
    ["local-prefixes: [example.com/gopher-template/cli]", "local-prefixes: [github.com/Acme/tool/v2]"],
    ["a example.com/gopher-template/cli b example.com/gopher-template/cli", "a github.com/Acme/tool/v2 b github.com/Acme/tool/v2"],
  ])("rewrites %j", (input, expected) => {
    expect(rewriteModulePaths(input, rewrites)).toBe(expected);
  });

  it.each([
    "example.com/gopher-template/client",
    "example.com/gopher-template/cli-extra/x",
    "example.com/gopher-template/cli.v2",
    "example.com/gopher-template/plumbings",
    "no placeholder at all",
  ])("leaves %j alone: only whole path elements match", (input) => {
    expect(rewriteModulePaths(input, rewrites)).toBe(input);
  });
});
