import { createHash } from "node:crypto";
import path from "node:path";
import fs from "fs-extra";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

import os from "node:os";

import { completeAnswers } from "../../src/core/answers.js";
import { generateProject } from "../../src/core/generateProject.js";
import { parseGoVersions, templateGoVersions } from "../../src/core/goToolchain.js";
import { placeholderRoot } from "../../src/core/modulePaths.js";
import { catalogue } from "../../src/specs/catalogue.js";
import { parseSpec } from "../../src/specs/schema.js";
import { generateInto, removeTree } from "../support/generate.js";

const made: string[] = [];
afterAll(() => Promise.all(made.map(removeTree)));

async function digest(dir: string, files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const file of files) {
    const bytes = await fs.readFile(path.join(dir, file));
    const { mode } = await fs.stat(path.join(dir, file));
    out[file] = `${createHash("sha256").update(bytes).digest("hex")} ${(mode & 0o777).toString(8)}`;
  }
  return out;
}

describe.each(catalogue().map((spec) => [spec.id, spec] as const))("generating %s", (id, spec) => {
  it("is deterministic: the same answers give byte-identical trees", async () => {
    const a = await generateInto(id, { module: "example.com/acme/same" });
    const b = await generateInto(id, { module: "example.com/acme/same" });
    made.push(a.dir, b.dir);
    expect(a.files).toEqual(b.files);
    expect(await digest(b.dir, b.files)).toEqual(await digest(a.dir, a.files));
  });

  it("emits no HTML entity and no unrendered Handlebars anywhere", async () => {
    const { dir, files } = await generateInto(id, { module: "example.com/acme/entities" });
    made.push(dir);
    for (const file of files) {
      const text = await fs.readFile(path.join(dir, file), "utf8");
      expect(text, file).not.toMatch(/&(amp|lt|gt|quot|#x27|#x60|#x3D);/);
      // Our template vocabulary never survives rendering (Go composite literals like {{"a", 1}} may).
      expect(text, file).not.toMatch(/\{\{[#/]?\s*(name|module|options\.|project\.|go\.(minimum|toolchain)|tools\.|if |each |upperSnake |goString )/);
    }
  });

  it("stores dotfiles under npm-safe names and emits them renamed", async () => {
    const { dir, files } = await generateInto(id);
    made.push(dir);
    expect(files).toEqual(expect.arrayContaining([".gitignore", ".golangci.yml", ".github/workflows/ci.yml"]));
    expect(files.filter((f) => path.basename(f).startsWith("_"))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".hbs"))).toEqual([]);
  });

  it("builds with one exact Go release everywhere: go.mod's toolchain line, the Dockerfile and CI", async () => {
    const { dir } = await generateInto(id);
    made.push(dir);
    const read = (f: string) => fs.readFile(path.join(dir, f), "utf8");
    const { minimum, toolchain } = templateGoVersions(id);
    const gomod = parseGoVersions(await read("go.mod"));
    expect(gomod).toEqual({ minimum, toolchain });
    const ci = await read(".github/workflows/ci.yml");
    const setups = ci.match(/uses: actions\/setup-go@v6\n\s+with:\n\s+go-version-file: go\.mod\b/g) ?? [];
    expect(setups.length).toBeGreaterThan(0);
    expect(setups).toHaveLength(ci.match(/uses: actions\/setup-go/g)!.length);
    expect(ci).not.toMatch(/go-version:|env\.GO_VERSION/);
    if (spec.layers.includes("docker")) {
      expect(await read("Dockerfile")).toContain(`ARG GO_VERSION=${toolchain}\n`);
      expect(ci).toContain(`grep -qx "ARG GO_VERSION=$want" Dockerfile`);
      expect(await read("Dockerfile")).toMatch(/^FROM golang:\$\{GO_VERSION\}-/m);
      expect(await read("Dockerfile")).toMatch(/^FROM gcr\.io\/distroless\/static-debian13:nonroot$/m);
      expect(await read("Dockerfile")).toMatch(/^USER nonroot:nonroot$/m);
    }
    expect(await read("Makefile")).toContain(`GOLANGCI_LINT_VERSION := ${spec.tools.golangciLint}`);
    expect(await read(".github/workflows/ci.yml")).toContain(`GOLANGCI_LINT_VERSION: ${spec.tools.golangciLint}`);
    // The emitted CI scans against the live database (the Makefile's default), never a local copy.
    expect(ci).toMatch(/^\s+run: make vuln$/m);
    expect(ci).not.toMatch(/VULNDB/);
    expect(await read("Makefile")).toMatch(/^VULNDB \?= https:\/\/vuln\.go\.dev$/m);
  });

  it("commits no secret and records its answers", async () => {
    const { files } = await generateInto(id);
    expect(files).not.toContain(".env");
    expect(files).toContain(".gopher-project.json");
  });

  it.each(["github.com/Acme-Co/my.tool/v2", "example.com/x", "gitlab.example.org/Group/sub-group/Svc.Core"])(
    "leaves no placeholder module path behind for module %s, and names cmd/ after the project",
    async (module) => {
      const { dir, files } = await generateInto(id, { name: "my-app", module });
      made.push(dir);
      expect(await fs.readFile(path.join(dir, "go.mod"), "utf8")).toMatch(new RegExp(`^module ${module.replace(/\./g, "\\.")}\n`));
      for (const file of files) {
        expect(await fs.readFile(path.join(dir, file), "utf8"), file).not.toContain(placeholderRoot);
      }
      if (spec.binaries.includes("{{name}}")) {
        expect(files).toContain("cmd/my-app/main.go");
        expect(files.filter((f) => f.startsWith(`cmd/${spec.id}/`))).toEqual([]);
      }
    },
  );

  it("publishes compose ports on loopback only", async () => {
    const { dir, files } = await generateInto(id);
    made.push(dir);
    if (!files.includes("docker-compose.yml")) return;
    const compose = parse(await fs.readFile(path.join(dir, "docker-compose.yml"), "utf8")) as {
      services: Record<string, { ports?: string[] }>;
    };
    const published = Object.entries(compose.services).flatMap(([name, service]) => (service.ports ?? []).map((p) => `${name}: ${p}`));
    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(port).toMatch(/^[\w-]+: 127\.0\.0\.1:/);
  });

  it("starts only the services in compose by default, the app behind the profile make up-all names", async () => {
    const { dir, files } = await generateInto(id);
    made.push(dir);
    if (!files.includes("docker-compose.yml")) return;
    // merge: compose resolves `<<: *anchor` (the chat services share one x-app block that way).
    const compose = parse(await fs.readFile(path.join(dir, "docker-compose.yml"), "utf8"), { merge: true }) as {
      services: Record<string, { profiles?: string[] }>;
    };
    const byDefault = Object.entries(compose.services).filter(([, s]) => !s.profiles).map(([name]) => name);
    expect(byDefault.sort()).toEqual([...spec.services].sort());
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.profiles) expect(service.profiles, name).toEqual(["app"]);
    }
    const makefile = await fs.readFile(path.join(dir, "Makefile"), "utf8");
    expect(makefile).toMatch(/^up:.*\n\t\$\(COMPOSE\) up --detach --wait$/m);
    expect(makefile).toMatch(/^up-all:.*\n\t\$\(COMPOSE\) --profile app up --build --detach --wait$/m);
  });

  it("carries every option's answer into .env.example", async () => {
    const options = Object.fromEntries(
      spec.options.filter((o) => o.type === "integer").map((o) => [o.name, o.default === o.max ? o.min : o.default + 1]),
    );
    const { dir, files } = await generateInto(id, { options });
    made.push(dir);
    if (!files.includes(".env.example")) {
      expect(spec.services, "a project with services ships an .env.example").toEqual([]);
      return;
    }
    const env = await fs.readFile(path.join(dir, ".env.example"), "utf8");
    for (const option of spec.options) {
      const line = envLines[option.name];
      expect(line, `the .env.example line that shows --${option.name}`).toBeDefined();
      expect(line!.exec(env)?.[1], option.name).toBe(String(options[option.name]));
    }
  });
});

/** The line of .env.example that shows each option's value; every option of a project with one is here. */
const envLines: Record<string, RegExp> = {
  httpPort: /^# HTTP_ADDR=:(\d+)$/m,
  codeLength: /^# CODE_LENGTH=(\d+)$/m,
  workerConcurrency: /^WORKER_CONCURRENCY=(\d+)$/m,
  wsSendQueue: /^WS_SEND_QUEUE=(\d+)$/m,
  lowStockThreshold: /^LOW_STOCK_THRESHOLD=(\d+)$/m,
  maxDeliveryAttempts: /^MAX_DELIVERY_ATTEMPTS=(\d+)$/m,
};

describe("a failed render", () => {
  it("names the template and keeps the error as its cause", async () => {
    const spec = parseSpec({ ...structuredClone(catalogue()[0]!), layers: ["broken", "url-shortener"] });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-broken-"));
    made.push(path.join(dir, "out"));
    const failing = generateProject(spec, completeAnswers(spec, { name: "out" }), path.join(dir, "out"), {
      templates: path.join(import.meta.dirname, "../fixtures/broken-templates"),
    });
    await expect(failing).rejects.toThrow(/generating url-shortener failed: cannot render config\.yml\.hbs: .*nowhere/);
    const error = (await failing.catch((e: unknown) => e)) as Error;
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toMatch(/cannot render config\.yml\.hbs/);
  });
});
