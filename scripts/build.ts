// npm run build (after tsc): bundles the published CLI into dist/cli/, the way create-vite ships
// itself: one ES module graph with every library inside, so the package has no runtime
// dependencies. tsc's dist/src, dist/generators and dist/scripts stay for the maintainer scripts
// and the README's run from a clone; the package ships dist/cli only.
// - The specs are checked against their schema here, so a run never loads zod.
// - Every layer of templates/ is listed into the bundle, each `.hbs` precompiled and the other
//   files' bytes in one brotli blob a layer: the package ships no templates/, and a run never
//   walks a folder, nor reads or compiles a template.
// - Code splitting keeps start-up small: a lone --help or --list loads the specs and prints (the
//   help prerendered by yargs at build time), any other command line adds yargs, a generation
//   node-plop, Handlebars and fs-extra, and a prompt or a child process (go, git) inquirer or
//   execa, at the moment it is first needed.
import { readFile } from "node:fs/promises";
import path from "node:path";
import zlib, { brotliCompressSync } from "node:zlib";
import * as esbuild from "esbuild";
import fs from "fs-extra";
import Handlebars from "handlebars";

import { parseArgs } from "../src/cli/parseArgs.js";
import { maxHelpWidth } from "../src/cli/terminal.js";
import { generatorVersion, packageRoot, templatesDir } from "../src/core/packageInfo.js";
import { readLayer } from "../src/core/readLayer.js";
import { compileOptions } from "../src/core/renderer.js";
import { layerBlobsDir } from "../src/core/loadLayer.js";
import { catalogue } from "../src/specs/catalogue.js";
import { glob } from "tinyglobby";
import { parseSpec } from "../src/specs/schema.js";

/**
 * src/core/templateIndex.ts, replaced by every layer of templates/ as readLayer lists it, one
 * chunk a layer, imported when a generation first needs it: each file's path and mode, and each
 * `.hbs` precompiled. A run then neither walks templates/ nor reads or compiles a template; it
 * reads only the files it copies.
 */
function templateIndex(): esbuild.Plugin {
  return {
    name: "template-index",
    setup(build) {
      build.onResolve({ filter: /\/templateIndex\.js$/ }, (args) => ({ path: path.join(args.resolveDir, args.path), namespace: "template-index" }));
      build.onLoad({ filter: /.*/, namespace: "template-index" }, async () => {
        const layers = (await fs.readdir(templatesDir, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
        const entries = layers.map((layer) => `[${JSON.stringify(layer)}, () => import(${JSON.stringify(`template-layer:${layer}`)}).then((layer) => layer.default)]`);
        return { contents: `export const templateIndex = new Map([\n${entries.join(",\n")}\n]);\n`, loader: "js", watchDirs: [templatesDir] };
      });
      build.onResolve({ filter: /^template-layer:/ }, (args) => ({ path: args.path.slice("template-layer:".length), namespace: "template-layer" }));
      build.onLoad({ filter: /.*/, namespace: "template-layer" }, async (args) => {
        const dir = path.join(templatesDir, args.path);
        const files = await readLayer(dir);
        // Read side by side, laid out in the layer's order: the same templates give the same blob.
        const contents = await Promise.all(files.map(async ({ file }) => (file.endsWith(".hbs") ? precompile(dir, file) : readFile(path.join(dir, file)))));
        const plain: Buffer[] = [];
        let offset = 0;
        const entries = files.map(({ file, executable }, i) => {
          const content = contents[i]!;
          if (typeof content === "string") return `{ file: ${JSON.stringify(file)}, executable: ${executable}, template: ${content} }`;
          plain.push(content);
          offset += content.length;
          return `{ file: ${JSON.stringify(file)}, executable: ${executable}, bytes: [${offset - content.length}, ${content.length}] }`;
        });
        await writeLayerBlob(args.path, Buffer.concat(plain));
        return { contents: `export default [\n${entries.join(",\n")}\n];\n`, loader: "js", watchFiles: files.map(({ file }) => path.join(dir, file)) };
      });
    },
  };
}

/**
 * src/cli/prerenderedHelp.ts, replaced by the help parseArgs renders for `--help` at its widest:
 * the bundle prints it for a lone --help (at that width) without loading yargs.
 */
function prerenderedHelp(): esbuild.Plugin {
  return {
    name: "prerendered-help",
    setup(build) {
      build.onResolve({ filter: /\/prerenderedHelp\.js$/ }, (args) => ({ path: path.join(args.resolveDir, args.path), namespace: "prerendered-help" }));
      build.onLoad({ filter: /.*/, namespace: "prerendered-help" }, async () => {
        const parsed = await parseArgs(["--help"], catalogue(), generatorVersion, maxHelpWidth);
        if (!("print" in parsed)) throw new Error("parseArgs gave no help for --help");
        return { contents: `export const prerenderedHelp = ${JSON.stringify({ width: maxHelpWidth, text: parsed.print })};\n`, loader: "js" };
      });
    },
  };
}

/**
 * One copy of each package version: npm installs the same version of a package twice when two
 * dependants nest it (yargs and cliui each have string-width 7.2.0, emoji-regex 10.6.0, ...), and
 * esbuild would bundle both. Every import of such a package resolves to its copy whose folder
 * sorts first, so the bundle holds it once and two builds choose the same.
 */
async function oneCopyPerVersion(): Promise<esbuild.Plugin> {
  const manifests = await glob(["**/node_modules/*/package.json", "**/node_modules/@*/*/package.json"], { cwd: path.join(packageRoot, "node_modules"), absolute: true });
  const copies = new Map<string, string[]>();
  for (const manifest of manifests.sort()) {
    const { name, version } = (await fs.readJson(manifest)) as { name?: string; version?: string };
    if (name && version) copies.set(`${name}@${version}`, [...(copies.get(`${name}@${version}`) ?? []), path.dirname(manifest)]);
  }
  const canonical = new Map<string, string>();
  for (const roots of copies.values()) for (const root of roots.slice(1)) canonical.set(root, roots[0]!);
  return {
    name: "one-copy-per-version",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "one-copy-per-version" || canonical.size === 0) return undefined;
        const resolved = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: "one-copy-per-version" });
        const root = [...canonical.keys()].find((copy) => resolved.path.startsWith(copy + path.sep));
        return root ? { ...resolved, path: canonical.get(root)! + resolved.path.slice(root.length) } : resolved;
      });
    },
  };
}

/**
 * A layer's plain files, one after the other, compressed with brotli at its best into
 * dist/cli/layers/<layer>.br: the package ships these instead of templates/ (Go source packs
 * about 5:1), so it stays small and an install writes a handful of files, not hundreds.
 */
async function writeLayerBlob(layer: string, bytes: Buffer): Promise<void> {
  const compressed = brotliCompressSync(bytes, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  });
  await fs.outputFile(path.join(packageRoot, layerBlobsDir, `${layer}.br`), compressed);
}

/** A template's precompiled form, as Handlebars.template takes it (JavaScript source). */
async function precompile(dir: string, file: string): Promise<string> {
  const text = await readFile(path.join(dir, file), "utf8");
  try {
    return Handlebars.precompile(text, compileOptions) as string;
  } catch (error) {
    throw new Error(`cannot precompile ${path.relative(packageRoot, path.join(dir, file))}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Edits to bundled libraries, each for start-up time or to fit the bundle's layout, none changing
 * what a library does. A file whose path matches and that holds the first edit's text is edited;
 * an edit that applies nowhere (the library changed) fails the build.
 */
const patches: { file: RegExp; edits: [from: string, to: string][] }[] = [
  // node-plop imports inquirer (and with it rxjs) at its top for its prompts: ours use them, a
  // generation never does. inquirer is imported when a question is first asked.
  {
    file: /[\\/]node-plop[\\/]src[\\/]node-plop\.js$/,
    edits: [
      [
        `import inquirer from "inquirer";`,
        [
          `let loadingInquirer;`,
          `const loadInquirer = () => (loadingInquirer ??= import("inquirer").then((module) => module.default));`,
          `const inquirer = {`,
          `  prompt: (questions, answers) => loadInquirer().then((inquirer) => inquirer.prompt(questions, answers)),`,
          `  registerPrompt: (name, prompt) => void loadInquirer().then((inquirer) => inquirer.registerPrompt(name, prompt)),`,
          `};`,
        ].join("\n"),
      ],
      // resolve (and is-core-module, 20 KB) serves plop.load() of other plopfiles only.
      [`import resolve from "resolve";\n`, ``],
      [`resolve.sync(target, `, `(await import("resolve")).default.sync(target, `],
    ],
  },
  // Its built-in actions (add, addMany, modify, append, with tinyglobby, picomatch and
  // isbinaryfile) are loaded at its top; our generators are made of custom actions only. Each
  // built-in is a function that loads them on its first call, as node-plop awaits any action.
  {
    file: /[\\/]node-plop[\\/]src[\\/]generator-runner\.js$/,
    edits: [
      [
        `import * as buildInActions from "./actions/index.js";`,
        [
          `let loadingActions;`,
          `const buildInActions = Object.fromEntries(["add", "addMany", "modify", "append"].map((name) => [`,
          `  name,`,
          `  async (...args) => (await (loadingActions ??= import("./actions/index.js")))[name](...args),`,
          `]));`,
        ].join("\n"),
      ],
    ],
  },
  // string-width (yargs' help) makes an Intl.Segmenter when loaded, 6 ms of ICU set-up, and
  // segments every line of --help. Printable ASCII is one column a character (each is its own
  // grapheme, none is an emoji, ignorable or wide), so such a line is measured by its length.
  {
    file: /[\\/]string-width[\\/]index\.js$/,
    edits: [
      [`const segmenter = new Intl.Segmenter();`, `let segmenterMade; const segmenter = { segment: (text) => (segmenterMade ??= new Intl.Segmenter()).segment(text) };`],
      [`\tlet width = 0;\n`, `\tif (/^[\\x20-\\x7E]*$/.test(string)) {\n\t\treturn string.length;\n\t}\n\n\tlet width = 0;\n`],
    ],
  },
  // fdir looks for a picomatch package beside itself at load time, for its own glob(), which
  // tinyglobby does not use. From the bundle, that lookup could only find a stray copy up the
  // user's directory tree (and load it: 3 ms); fdir does without, as when none is found.
  {
    file: /[\\/]fdir[\\/]dist[\\/]index\.mjs$/,
    edits: [[`\t__require.resolve("picomatch");\n\tpm = __require("picomatch");\n`, ``]],
  },
  // yargs finds its translations three folders above its own file; the bundle keeps them beside
  // itself. It checks its own invariants with node:assert, whose loading (2 ms) is most of what
  // yargs costs at start-up besides its own code: a check that holds now returns at once, and
  // one that fails loads node:assert to throw its usual AssertionError.
  {
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    edits: [
      [`resolve(__dirname, '../../../locales')`, `fileURLToPath(new URL("./locales", import.meta.url))`],
      [
        `import { notStrictEqual, strictEqual } from 'assert'\n`,
        [
          `const notStrictEqual = (actual, expected, message) => { if (Object.is(actual, expected)) require('node:assert').notStrictEqual(actual, expected, message) }`,
          `const strictEqual = (actual, expected, message) => { if (!Object.is(actual, expected)) require('node:assert').strictEqual(actual, expected, message) }`,
          ``,
        ].join("\n"),
      ],
    ],
  },
];

/**
 * execa, for the CLI, is a function that imports the library on its first call: only go mod tidy
 * and git need it, and a run without them never loads it.
 */
function lazyExeca(): esbuild.Plugin {
  const source = path.join(packageRoot, "src");
  return {
    name: "lazy-execa",
    setup(build) {
      build.onResolve({ filter: /^execa$/ }, (args) =>
        args.importer.startsWith(source) ? { path: "execa", namespace: "lazy-execa", pluginData: args.resolveDir } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: "lazy-execa" }, (args) => ({
        contents: `let loading;\nexport const execa = async (...args) => (await (loading ??= import("execa"))).execa(...args);\n`,
        loader: "js",
        resolveDir: args.pluginData as string,
      }));
    },
  };
}

/**
 * iconv-lite as inquirer's editor prompt (external-editor) uses it, decoding the edited file in the
 * encoding chardet detects, through Node's own TextDecoder: the bundle leaves out iconv-lite's
 * 500 KB of encoding tables. Our prompts never open an editor.
 */
function iconvThroughTextDecoder(): esbuild.Plugin {
  return {
    name: "iconv-through-text-decoder",
    setup(build) {
      build.onResolve({ filter: /^iconv-lite$/ }, (args) =>
        /[\\/]external-editor[\\/]/.test(args.importer) ? { path: "iconv-lite", namespace: "iconv-through-text-decoder" } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: "iconv-through-text-decoder" }, () => ({
        contents: [
          `const decoder = (encoding) => new TextDecoder(encoding);`,
          `export default {`,
          `  encodingExists: (encoding) => { try { return Boolean(decoder(encoding)); } catch { return false; } },`,
          `  decode: (buffer, encoding) => decoder(encoding).decode(buffer),`,
          `};`,
        ].join("\n"),
        loader: "js",
      }));
    },
  };
}

/**
 * Handlebars, in the bundle, is its runtime: every template is precompiled, so the compiler (and
 * the source-map library it brings) would be loaded for nothing. node-plop's own rendering of
 * strings, for its built-in actions, is not used: our generator is made of custom actions.
 */
function handlebarsRuntime(): esbuild.Plugin {
  return {
    name: "handlebars-runtime",
    setup(build) {
      build.onResolve({ filter: /^handlebars$/ }, (args) => build.resolve("handlebars/runtime", { kind: args.kind, resolveDir: args.resolveDir }));
    },
  };
}

function patchLibraries(): esbuild.Plugin {
  return {
    name: "patch-libraries",
    setup(build) {
      const applied = new Set<(typeof patches)[number]>();
      for (const patch of patches) {
        build.onLoad({ filter: patch.file }, async (args) => {
          const source = await readFile(args.path, "utf8");
          // The first edit's text tells the version the edits are for; the others must follow.
          if (!source.includes(patch.edits[0]![0])) return undefined;
          if (!patch.edits.every(([from]) => source.includes(from))) throw new Error(`${args.path} has changed: update scripts/build.ts`);
          applied.add(patch);
          const contents = patch.edits.reduce((text, [from, to]) => text.replace(from, to), source);
          return { contents, loader: args.path.endsWith(".ts") ? "ts" : "js", resolveDir: path.dirname(args.path) };
        });
      }
      build.onEnd(() => {
        const stale = patches.filter((patch) => !applied.has(patch)).map((patch) => String(patch.file));
        if (stale.length > 0) throw new Error(`library edits that no longer apply (update scripts/build.ts): ${stale.join("; ")}`);
      });
    },
  };
}

const outdir = path.join(packageRoot, "dist", "cli");

/**
 * What stands for import.meta in the CommonJS bundle, made from the module's __filename and
 * require. (import.meta.resolve serves yargs' `extends` of config files, which we never use.)
 */
const importMeta: Record<string, { name: string; value: string }> = {
  "import.meta.url": { name: "__importMetaUrl", value: `require("node:url").pathToFileURL(__filename).href` },
  "import.meta.resolve": { name: "__importMetaResolve", value: `(specifier) => require("node:url").pathToFileURL(require.resolve(specifier)).href` },
};

/**
 * Each chunk of the ES module build as a CommonJS module. Node starts an ES module entry point
 * through its ES module loader, about 5 ms before the first line runs, and loads each further
 * chunk asynchronously; require() does neither (measured with npm run bench). esbuild splits
 * only ES modules, so the chunks are split first, then each one is turned into CommonJS, its
 * import() calls into require() (esbuild's lowering when dynamic import is unsupported).
 */
async function toCommonJs(file: esbuild.OutputFile): Promise<string> {
  if (file.text.includes("import.meta")) throw new Error(`${path.relative(packageRoot, file.path)} uses import.meta beyond what scripts/build.ts replaces`);
  const used = Object.values(importMeta).filter(({ name }) => file.text.includes(name));
  const { code } = await esbuild.transform(file.text, {
    format: "cjs",
    loader: "js",
    platform: "node",
    target: "node20.19",
    supported: { "dynamic-import": false },
    minify: true,
    legalComments: "eof",
    banner: used.map(({ name, value }) => `const ${name} = ${value};`).join("\n"),
  });
  return code;
}

async function build(): Promise<void> {
  for (const spec of catalogue()) parseSpec(spec);

  await fs.remove(outdir);
  const result = await esbuild.build({
    absWorkingDir: packageRoot,
    entryPoints: { index: "src/cli/index.ts" },
    outdir,
    outExtension: { ".js": ".cjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20.19",
    minify: true,
    define: Object.fromEntries(Object.entries(importMeta).map(([expression, { name }]) => [expression, name])),
    chunkNames: "[name]-[hash]",
    legalComments: "eof",
    logLevel: "warning",
    // oneCopyPerVersion last: it answers every bare import the others leave.
    plugins: [templateIndex(), prerenderedHelp(), handlebarsRuntime(), lazyExeca(), iconvThroughTextDecoder(), patchLibraries(), await oneCopyPerVersion()],
    metafile: true,
    write: false,
  });
  await fs.ensureDir(outdir);
  await Promise.all(result.outputFiles.map(async (file) => fs.writeFile(file.path, await toCommonJs(file), { mode: file.path.endsWith("index.cjs") ? 0o755 : 0o644 })));
  // The entry point a clone's README runs, as it did when the bundle was an ES module.
  await fs.writeFile(path.join(outdir, "index.js"), `// The CLI is index.cjs (the package's bin); this runs it for \`node dist/cli/index.js\`.\nimport "./index.cjs";\n`);
  // What each chunk holds, for weighing start-up (esbuild's analyzer reads it); not shipped.
  await fs.writeJson(path.join(packageRoot, "dist", "cli-meta.json"), result.metafile);
  // yargs' translations, without their indentation.
  const locales = path.join(packageRoot, "node_modules", "yargs", "locales");
  await fs.ensureDir(path.join(outdir, "locales"));
  for (const file of await fs.readdir(locales)) {
    await fs.writeJson(path.join(outdir, "locales", file), await fs.readJson(path.join(locales, file)));
  }
}

await build();
