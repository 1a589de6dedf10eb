import { describe, expect, it } from "vitest";

import { createRenderer, goQuote } from "../../src/core/renderer.js";
import { outputPath } from "../../src/core/renderTree.js";

const render = createRenderer();

describe("renderer", () => {
  it("never HTML-escapes", () => {
    expect(render(`{{value}}`, { value: `a<b & "c" 'd'` }, "t")).toBe(`a<b & "c" 'd'`);
  });

  it("fails on a missing variable, naming the template", () => {
    expect(() => render("{{missing}}", {}, "Makefile.hbs")).toThrow(/cannot render Makefile\.hbs: .*missing/);
  });

  it("emits escaped braces literally (Actions expressions, Go templates)", () => {
    expect(render("run: echo $\\{{ github.sha }} and \\{{ .Values.x }}", {}, "t")).toBe(
      "run: echo ${{ github.sha }} and {{ .Values.x }}",
    );
  });

  it.each([
    ["plain", `"plain"`],
    [`quote " and \\ backslash`, `"quote \\" and \\\\ backslash"`],
    ["line\nbreak\ttab", `"line\\nbreak\\ttab"`],
    ["bell\u0007", `"bell\\x07"`],
    ["ünïcode", `"ünïcode"`],
  ])("quotes %j as Go would", (input, expected) => {
    expect(goQuote(input)).toBe(expected);
    expect(render("{{goString v}}", { v: input }, "t")).toBe(expected);
  });

  const project = { into: "", renames: { "cmd/url-shortener/": "cmd/shortener/" } };
  it.each([
    ["_gitignore", project, ".gitignore"],
    ["_github/workflows/ci.yml.hbs", project, ".github/workflows/ci.yml"],
    ["_golangci.yml.hbs", project, ".golangci.yml"],
    ["Makefile.hbs", project, "Makefile"],
    ["cmd/url-shortener/main.go", project, "cmd/shortener/main.go"],
    ["cmd/url-shortener-tools/main.go", project, "cmd/url-shortener-tools/main.go"],
    ["internal/config/defaults.go.hbs", project, "internal/config/defaults.go"],
    ["httpserver/server.go", { into: "internal", renames: {} }, "internal/httpserver/server.go"],
  ])("maps template path %s to %s", (template, placement, expected) => {
    expect(outputPath(template, placement)).toBe(expected);
  });
});
