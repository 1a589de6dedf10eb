import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { missing, toolPath } from "../support/environment.js";

// A real terminal (tmux) drives the prompts: they ask only what the flags did not say, and
// Ctrl-C at a prompt exits 130 with nothing written.
const cli = path.resolve("dist/src/cli/index.js");
const skipReason = missing([{ what: "tmux", ok: Boolean(await toolPath("tmux")) }]);
let root: string;
let session = 0;

const screen = async (name: string) => (await execa("tmux", ["capture-pane", "-p", "-t", name])).stdout;
async function until(name: string, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await screen(name);
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`screen never showed ${pattern}:\n${text}`);
}
async function open(args: string[]): Promise<string> {
  const name = `gopher-${process.pid}-${session++}`;
  const command = `node ${cli} ${args.join(" ")}; echo EXIT=$?; sleep 60`;
  await execa("tmux", ["new-session", "-d", "-s", name, "-x", "150", "-y", "40", "-c", root, command]);
  return name;
}
const keys = (name: string, ...k: string[]) => execa("tmux", ["send-keys", "-t", name, ...k]);

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "gopher-tty-"));
});
afterAll(async () => {
  await execa("sh", ["-c", `tmux ls -F '#S' 2>/dev/null | grep '^gopher-${process.pid}-' | xargs -r -n1 tmux kill-session -t`], { reject: false });
  await fs.remove(root);
});

describe.skipIf(skipReason)("prompts on a terminal", () => {
  it("asks only what the flags did not say", async () => {
    const name = await open(["links", "--project", "url-shortener", "--module", "example.com/acme/links", "--http-port", "9000", "--no-git", "--no-tidy"]);
    const first = await until(name, /Length of generated short codes/);
    expect(first).not.toMatch(/Which roadmap project|Project directory|Go module path|HTTP port/);
    await keys(name, "BSpace", "9", "Enter");
    await until(name, /EXIT=0/);
    const manifest = await fs.readJson(path.join(root, "links", ".gopher-project.json"));
    expect(manifest.answers).toEqual({ name: "links", module: "example.com/acme/links", options: { httpPort: 9000, codeLength: 9 } });
  });

  it("exits 130 on Ctrl-C at a prompt and writes nothing", async () => {
    const name = await open(["--no-git", "--no-tidy"]);
    await until(name, /Which roadmap project/);
    await keys(name, "Enter");
    await until(name, /Project directory/);
    await keys(name, "C-c");
    await until(name, /EXIT=130/);
    expect((await fs.readdir(root)).filter((f) => f !== "links")).toEqual([]);
  });
});
