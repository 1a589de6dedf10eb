import { describe, expect, it } from "vitest";

import { catalogue, findSpec } from "../../src/specs/catalogue.js";
import { parseSpec } from "../../src/specs/schema.js";
import { urlShortener } from "../../src/specs/urlShortener.js";

const withField = (patch: Record<string, unknown>) => ({ ...structuredClone(urlShortener), ...patch });

describe("project specs", () => {
  it("loads every catalogue spec, and each passes the schema (checked here and at build time, not at run time)", () => {
    expect(catalogue().map((spec) => spec.id)).toContain("url-shortener");
    for (const spec of catalogue()) expect(parseSpec(structuredClone(spec))).toEqual(spec);
  });

  it("finds a spec by id and names the choices for an unknown one", () => {
    expect(findSpec("url-shortener").title).toBe("URL Shortener");
    expect(() => findSpec("nope")).toThrow(/unknown project "nope" \(choose one of: url-shortener/);
  });

  it.each([
    [{ id: "Bad Id" }, /"Bad Id": id: /],
    [{ go: { version: "1.26" } }, /Unrecognized key.*"go"|go/],
    [{ tools: { golangciLint: "v2.15.0" } }, /tools\.govulncheck/],
    [{ tools: { golangciLint: "latest", govulncheck: "v1.9.0" } }, /tools\.golangciLint: must be an exact version/],
    [{ layers: ["shared", "docker"] }, /layers: must include the project's own layer "url-shortener"/],
    [{ services: ["mongodb"] }, /services\.0/],
    [{ options: [{ name: "port", type: "integer", message: "m", default: 1, min: 2 }] }, /options\.0\.max/],
    [{ layers: [] }, /layers: /],
    [{ surprise: true }, /surprise/],
  ])("rejects a bad spec and names the field: %j", (patch, message) => {
    expect(() => parseSpec(withField(patch))).toThrow(message);
  });
});
