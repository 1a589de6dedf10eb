import { describe, expect, it } from "vitest";

import { validateProjectName } from "../../src/core/validateProjectName.js";

describe("validateProjectName", () => {
  it.each([
    ["app", undefined],
    ["my-shortener", undefined],
    ["vendors", undefined],
    ["internals", undefined],
    ["test-data", undefined],
    ["a".repeat(64), undefined],
    // Directory names the go command gives a meaning of their own.
    ["vendor", /^"vendor" is a directory name the go command treats specially \(vendored dependencies: .*\); choose another$/],
    ["testdata", /^"testdata" is a directory name the go command treats specially \(test fixtures: .*\); choose another$/],
    ["internal", /^"internal" is a directory name the go command treats specially \(packages under it .*\); choose another$/],
    // The go command ignores names starting with "_" or "."; the name pattern already refuses them.
    ["_app", /^invalid directory name "_app": /],
    [".app", /^invalid directory name "\.app": /],
    // Names Windows reserves, refused by the go command in module paths and zips.
    ["con", /^"con" is a file name Windows reserves/],
    ["lpt1", /^"lpt1" is a file name Windows reserves/],
    // The pattern itself, with the input quoted and escaped.
    ["Bad_Name", /^invalid directory name "Bad_Name": use lowercase letters/],
    ["a--b", /^invalid directory name "a--b"/],
    ["1app", /^invalid directory name "1app"/],
    ["a".repeat(65), /^invalid directory name "a{65}"/],
    ["", /^invalid directory name "":/],
    ["a\nb", /^invalid directory name "a\\nb":/],
    ['a"b', /^invalid directory name "a\\"b":/],
  ])("%j → %s", (name, expected) => {
    const problem = validateProjectName(name);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
    expect(problem ?? "").not.toMatch(/\n/);
  });
});
