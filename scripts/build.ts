// npm run build (after tsc): bundles the published CLI into dist/cli/, the way create-vite ships
// itself: one ES module graph with every library inside, so the package has no runtime
// dependencies. tsc's dist/src, dist/generators and dist/scripts stay for the maintainer scripts
// and the README's run from a clone; the package ships dist/cli and templates/ only.
// - The specs are checked against their schema here, so a run never loads zod.
// - Every `.hbs` of templates/ is precompiled into the bundle: a run never compiles a template.
// - Code splitting keeps start-up small: --help and --list load yargs and the specs, a generation
//   adds node-plop, Handlebars and fs-extra, and a prompt or a child process (go, git) adds
//   inquirer or execa, at the moment it is first needed.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as esbuild from "esbuild";
import fs from "fs-extra";
import Handlebars from "handlebars";
import { glob } from "tinyglobby";

import { packageRoot, templatesDir } from "../src/core/packageInfo.js";
import { compileOptions } from "../src/core/renderer.js";
import { catalogue } from "../src/specs/catalogue.js";
import { parseSpec } from "../src/specs/schema.js";

/** src/core/precompiledTemplates.ts, replaced by a map of every template to its precompiled form. */
function precompiledTemplates(): esbuild.Plugin {
  return {
    name: "precompiled-templates",
    setup(build) {
      build.onResolve({ filter: /\/precompiledTemplates\.js$/ }, (args) => ({ path: path.join(args.resolveDir, args.path), namespace: "precompiled" }));
      build.onLoad({ filter: /.*/, namespace: "precompiled" }, async () => {
        const files = (await glob("**/*.hbs", { cwd: templatesDir, dot: true, expandDirectories: false })).sort();
        const entries = await Promise.all(
          files.map(async (file) => {
            const text = await readFile(path.join(templatesDir, file), "utf8");
            try {
              return `[${JSON.stringify(text)}, ${Handlebars.precompile(text, compileOptions)}]`;
            } catch (error) {
              throw new Error(`cannot precompile templates/${file}: ${(error as Error).message}`, { cause: error });
            }
          }),
        );
        return { contents: `export const precompiledTemplates = new Map([\n${entries.join(",\n")}\n]);\n`, loader: "js", watchFiles: files };
      });
    },
  };
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
  // yargs finds its translations three folders above its own file; the bundle keeps them beside itself.
  {
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    edits: [[`resolve(__dirname, '../../../locales')`, `fileURLToPath(new URL("./locales", import.meta.url))`]],
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

async function build(): Promise<void> {
  for (const spec of catalogue()) parseSpec(spec);

  await fs.remove(outdir);
  await esbuild.build({
    absWorkingDir: packageRoot,
    entryPoints: { index: "src/cli/index.ts" },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20.19",
    minify: true,
    // Libraries bundled from CommonJS call require() for Node's own modules.
    banner: { js: `import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);` },
    chunkNames: "[name]-[hash]",
    legalComments: "eof",
    logLevel: "warning",
    plugins: [precompiledTemplates(), handlebarsRuntime(), lazyExeca(), iconvThroughTextDecoder(), patchLibraries()],
  });
  // yargs' translations, without their indentation.
  const locales = path.join(packageRoot, "node_modules", "yargs", "locales");
  await fs.ensureDir(path.join(outdir, "locales"));
  for (const file of await fs.readdir(locales)) {
    await fs.writeJson(path.join(outdir, "locales", file), await fs.readJson(path.join(locales, file)));
  }
}

await build();
