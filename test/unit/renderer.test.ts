import { describe, expect, it } from "vitest";

import { createRenderer, goQuote } from "../../src/core/renderer.js";
import { outputPath } from "../../src/core/renderTree.js";

const render = createRenderer();

describe("renderer", () => {
  it("never HTML-escapes", () => {
    expect(render(`{{value}}`, { value: `a<b & "c" 'd'` }, "t")).toBe(`a<b & "c" 'd'`);
  });

  it("fails on a missing variable, naming the template", () => {
    expect(() => render("{{missing}}", {}, "go.mod.hbs")).toThrow(/cannot render go\.mod\.hbs: .*missing/);
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

  it.each([
    ["_gitignore", ".gitignore"],
    ["_github/workflows/ci.yml.hbs", ".github/workflows/ci.yml"],
    ["_golangci.yml.hbs", ".golangci.yml"],
    ["Makefile.hbs", "Makefile"],
    ["Dockerfile.hbs", "Dockerfile"],
    ["cmd/{{name}}/main.go.hbs", "cmd/shortener/main.go"],
    ["internal/link/service.go", "internal/link/service.go"],
  ])("maps template path %s to %s", (template, expected) => {
    expect(outputPath(template, { name: "shortener" }, render)).toBe(expected);
  });
});
