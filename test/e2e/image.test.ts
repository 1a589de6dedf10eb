import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { findSpec } from "../../src/specs/catalogue.js";
import { missing, toolPath } from "../support/environment.js";
import { generateInto, removeTree } from "../support/generate.js";
import { buildLikeDockerfile, checkNonGoFiles, sh } from "../support/goLadder.js";

// --image scratch, without a Docker engine: the binaries built with the Dockerfile's own build
// line, laid out in a root filesystem as its final stage lays them out (the files its build stage
// copies in, the user it writes), and run there by chroot as user 65532, with the image's ZONEINFO
// and nothing else: each binary starts, and a probe finds a named user, TLS roots and time zones.
const chroot = await toolPath("chroot");
const go = await toolPath("go");
const actionlint = await toolPath("actionlint");
const skipReason = missing([
  { what: "Go", ok: Boolean(go) },
  { what: "actionlint", ok: Boolean(actionlint) },
  { what: "chroot", ok: Boolean(chroot) },
  { what: "root (chroot needs it)", ok: process.getuid?.() === 0 },
]);
const probeSource = path.join(import.meta.dirname, "..", "fixtures", "scratch-probe");

describe.skipIf(skipReason).each([["url-shortener"], ["ecommerce"]])("%s with --image scratch", (id) => {
  const spec = findSpec(id);
  let dir: string;
  let rootfs: string;

  beforeAll(async () => {
    ({ dir } = await generateInto(id, { name: "boxed", module: "example.com/acme/boxed", delivery: { image: "scratch" } }));
    rootfs = path.join(path.dirname(dir), "rootfs");
  }, 60_000);
  afterAll(() => dir && removeTree(dir));

  it("ships a Dockerfile that lints, with the build line distroless has", async () => {
    await checkNonGoFiles(dir, actionlint!);
    expect(await fs.readFile(path.join(dir, "Dockerfile"), "utf8")).toMatch(/^FROM scratch$/m);
  }, 120_000);

  it("runs each binary, and a probe, in the image's root filesystem as 65532", async () => {
    const dockerfile = await fs.readFile(path.join(dir, "Dockerfile"), "utf8");
    // The build stage's RUN that fills /rootfs: what it copies from where, and the lines it writes.
    const copies = [...dockerfile.matchAll(/^\s*cp (?:"([^"]+)"|(\S+)) (\/rootfs\/\S+)/gm)].map((m) => ({ from: (m[1] ?? m[2])!, to: m[3]! }));
    const writes = [...dockerfile.matchAll(/^\s*echo '([^']+)' > (\/rootfs\/\S+)/gm)].map((m) => ({ line: m[1]!, to: m[2]! }));
    expect(copies.map((c) => c.to)).toEqual(["/rootfs/etc/ssl/certs/", "/rootfs/app/zoneinfo.zip"]);
    expect(writes.map((w) => w.to)).toEqual(["/rootfs/etc/passwd", "/rootfs/etc/group"]);
    const goroot = String((await sh("go", ["env", "GOROOT"], { cwd: dir })).stdout).trim();
    for (const { from, to } of copies) {
      const source = from.replace("$(go env GOROOT)", goroot);
      const target = path.join(rootfs, to.slice("/rootfs/".length));
      await fs.copy(source, to.endsWith("/") ? path.join(target, path.basename(source)) : target);
    }
    for (const { line, to } of writes) await fs.outputFile(path.join(rootfs, to.slice("/rootfs/".length)), `${line}\n`);
    // COPY --from=build /out/ /app/: the binaries, built with the Dockerfile's line.
    await buildLikeDockerfile(dir, path.join(rootfs, "app"), "scratch-e2e");
    await sh("go", ["build", "-trimpath", "-ldflags=-s -w", "-o", path.join(rootfs, "app", "scratch-probe"), "."], {
      cwd: probeSource,
      env: { CGO_ENABLED: "0", GOFLAGS: "-mod=mod" },
    });
    const zoneinfo = /^ENV ZONEINFO=(\S+)$/m.exec(dockerfile)?.[1];
    expect(zoneinfo).toBe("/app/zoneinfo.zip");
    const user = /^USER (\d+:\d+)$/m.exec(dockerfile)?.[1];
    expect(user).toBe("65532:65532");
    const inImage = (command: string, args: string[]) =>
      execa(chroot!, [`--userspec=${user}`, rootfs, command, ...args], { env: { ZONEINFO: zoneinfo! }, extendEnv: false, reject: false });

    expect(await fs.readdir(rootfs)).toEqual(["app", "etc"]);
    // Every service binary (loadtest drives the API from outside: built like the others, never run in the image).
    const binaries = spec.binaries.map((binary) => (binary === "{{name}}" ? "boxed" : binary)).filter((binary) => binary !== "loadtest");
    expect(binaries.length).toBeGreaterThan(0);
    for (const binary of binaries) {
      const version = await inImage(`/app/${binary}`, ["version"]);
      expect(version.exitCode, `${binary} version: ${version.stderr}`).toBe(0);
      expect(version.stdout).toContain("scratch-e2e");
    }
    const probe = await inImage("/app/scratch-probe", []);
    expect(probe.stdout).toBe(["ok user", "ok tls roots", "ok time zones", "ok root filesystem not writable"].join("\n"));
    expect(probe.exitCode).toBe(0);
  }, 600_000);
});
