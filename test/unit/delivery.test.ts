import path from "node:path";
import fs from "fs-extra";
import { afterAll, describe, expect, it } from "vitest";

import { optionFlag } from "../../src/cli/flags.js";
import { completeAnswers, InvalidAnswerError } from "../../src/core/answers.js";
import { catalogue, findSpec } from "../../src/specs/catalogue.js";
import { deliveryOptions, deliveryOptionsOf } from "../../src/specs/delivery.js";
import { generateInto, removeTree } from "../support/generate.js";

const made: string[] = [];
afterAll(() => Promise.all(made.map(removeTree)));

describe("delivery options (src/specs/delivery.ts)", () => {
  it("are well formed: unique names, a default among the choices, flags no project option or CLI flag takes", () => {
    const names = deliveryOptions.map((option) => option.name);
    expect(new Set(names).size).toBe(names.length);
    const taken = new Set(["project", "name", "module", "yes", "git", "tidy", "dry-run", "force", "list", "help", "version"]);
    for (const spec of catalogue()) for (const option of spec.options) taken.add(optionFlag(option.name));
    for (const option of deliveryOptions) {
      expect(option.choices.map((choice) => choice.value)).toContain(option.default);
      expect(taken.has(optionFlag(option.name)), `--${optionFlag(option.name)} is taken`).toBe(false);
    }
  });

  it.each(catalogue().map((spec) => [spec.id, spec] as const))("%s: answers hold each option that applies, at its default", (_id, spec) => {
    const answers = completeAnswers(spec, { name: "app" });
    expect(answers.delivery).toEqual(Object.fromEntries(deliveryOptionsOf(spec).map((option) => [option.name, option.default])));
    expect(Object.keys(answers.delivery)).toEqual(spec.layers.includes("docker") ? ["image"] : []);
  });

  it.each([
    ["url-shortener", { image: "alpine" }, "delivery option image must be one of distroless, scratch"],
    ["url-shortener", { image: 1 }, "delivery option image must be one of distroless, scratch"],
    ["cli", { image: "scratch" }, "delivery option image is for projects that ship a container image, and cli does not"],
    ["job-queue", { ci: "gitlab" }, "there is no delivery option ci"],
  ])("%s with %j is refused: %s", (id, delivery, message) => {
    expect(() => completeAnswers(findSpec(id), { name: "app", delivery })).toThrow(new InvalidAnswerError(message));
  });
});

describe.each(catalogue().filter((spec) => spec.layers.includes("docker")).map((spec) => [spec.id] as const))("%s with --image", (id) => {
  it("scratch: the final stage is scratch with certificates, time zones and user 65532, and nothing else changes but what says so", async () => {
    const distroless = await generateInto(id, { module: "example.com/acme/img" });
    const scratch = await generateInto(id, { module: "example.com/acme/img", delivery: { image: "scratch" } });
    const again = await generateInto(id, { module: "example.com/acme/img", delivery: { image: "scratch" } });
    made.push(distroless.dir, scratch.dir, again.dir);
    expect(scratch.files).toEqual(distroless.files);
    const read = (dir: string, file: string) => fs.readFile(path.join(dir, file), "utf8");
    const changed: string[] = [];
    for (const file of scratch.files) {
      const [a, b, c] = await Promise.all([read(distroless.dir, file), read(scratch.dir, file), read(again.dir, file)]);
      expect(c, `${file} is deterministic`).toBe(b);
      if (a !== b) changed.push(file);
    }
    expect(changed.sort()).toEqual([".gopher-project.json", "Dockerfile", ...(id === "url-shortener" ? ["README.md"] : [])]);

    const dockerfile = await read(scratch.dir, "Dockerfile");
    const build = /^ {4}CGO_ENABLED=0 go build .*$/m;
    expect(dockerfile.match(build)?.[0], "the same build line").toBe((await read(distroless.dir, "Dockerfile")).match(build)?.[0]);
    const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    expect(final).toMatch(/^\nFROM scratch\n/);
    expect(final).toContain("COPY --from=build /rootfs/ /\n");
    expect(final).toContain("ENV ZONEINFO=/app/zoneinfo.zip\n");
    expect(final).toMatch(/^USER 65532:65532$/m);
    expect(final).toMatch(/^HEALTHCHECK .*"healthcheck"\]$/m);
    expect(dockerfile).toContain("cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/");
    expect(dockerfile).toContain('cp "$(go env GOROOT)/lib/time/zoneinfo.zip" /rootfs/app/zoneinfo.zip');
    expect(dockerfile).toContain("echo 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > /rootfs/etc/passwd");
    expect(JSON.parse(await read(scratch.dir, ".gopher-project.json")).answers.delivery).toEqual({ image: "scratch" });
  });
});
