import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import vm from "node:vm";

/**
 * Start-up is mostly V8 compiling the bundle (yargs alone is 128 KB), so the compiled code is
 * kept between runs, as Node 22's module.enableCompileCache() keeps it: a second run of the CLI
 * (--help then a generation, the tests, a CI job) starts about 10 ms sooner. Node 22.1+ does it
 * natively; on Node 20, which has no such API, the bundle's content-hashed chunks are compiled
 * through vm.Script with V8's cached data, kept in one file in a folder of the temp directory per
 * user, V8 version and architecture, and rewritten when a run compiled a chunk that had none (one
 * file, not one a chunk: on a slow disk each file made cost a first run more than it compiled). Anything that
 * goes wrong (no temp directory, a foreign folder, a cache V8 refuses) means compiling as usual.
 * NODE_DISABLE_COMPILE_CACHE=1, Node's own switch, turns it off.
 */
export function enableCompileCache(bundleDir: string): void {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return;
  const native = (Module as { enableCompileCache?: () => unknown }).enableCompileCache;
  if (native) {
    native();
    return;
  }
  const dir = cacheDir();
  if (dir) cacheChunks(bundleDir, dir);
}

/** The cache folder, made if need be; undefined unless it is this user's own. */
function cacheDir(): string | undefined {
  try {
    const uid = process.getuid?.() ?? 0;
    const dir = path.join(tmpdir(), `create-gopher-project-compile-cache-${uid}`, `${process.versions.v8}-${process.arch}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { uid: owner, mode } = statSync(path.dirname(dir));
    return owner === uid && (mode & 0o022) === 0 ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** A chunk's name holds the hash of its contents (esbuild's [name]-[hash]), so a name is one content. */
const chunkName = /-[A-Z0-9]{8}\.cjs$/;

interface CompiledModule {
  _compile(content: string, filename: string): unknown;
  exports: unknown;
  require(id: string): unknown;
}

const resolveFilename = (request: string, parent: CompiledModule): string =>
  (Module as unknown as { _resolveFilename(request: string, parent: CompiledModule): string })._resolveFilename(request, parent);

/** The bundle's cache file, in the cache folder. */
const cacheFile = (bundleDir: string): string => `chunks-${fnv1a(bundleDir)}.bin`;

/**
 * A short hash of the bundle's folder, naming its cache file: two installed versions of the
 * CLI (npx keeps each in its own folder) keep a cache each instead of pruning each other's.
 */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, "0");
}

/**
 * The cache is one file, so a run reads one file and writes at most one: an index (chunk name →
 * where its cached data lies), as JSON behind its length, then the data. A file that does not
 * read as one is an empty cache.
 */
function readCache(file: string): Map<string, Buffer> {
  try {
    const bytes = readFileSync(file);
    const indexEnd = 4 + bytes.readUInt32LE(0);
    const index = JSON.parse(bytes.subarray(4, indexEnd).toString("utf8")) as Record<string, [number, number]>;
    return new Map(Object.entries(index).map(([name, [offset, length]]) => [name, bytes.subarray(indexEnd + offset, indexEnd + offset + length)]));
  } catch {
    return new Map();
  }
}

function writeCache(file: string, chunks: Map<string, Buffer>): void {
  const index: Record<string, [number, number]> = {};
  let offset = 0;
  for (const [name, data] of chunks) {
    index[name] = [offset, data.length];
    offset += data.length;
  }
  const json = Buffer.from(JSON.stringify(index));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  const temporary = `${file}.${process.pid}`;
  writeFileSync(temporary, Buffer.concat([length, json, ...chunks.values()]));
  renameSync(temporary, file);
}

function cacheChunks(bundleDir: string, dir: string): void {
  const file = path.join(dir, cacheFile(bundleDir));
  const cached = readCache(file);
  const proto = (Module as unknown as { prototype: CompiledModule }).prototype;
  const compile = proto._compile;
  const produced = new Map<string, vm.Script>();
  proto._compile = function (this: CompiledModule, content: string, filename: string) {
    if (path.dirname(filename) !== bundleDir || !chunkName.test(filename)) return compile.call(this, content, filename);
    const name = path.basename(filename);
    const cachedData = cached.get(name);
    const script = new vm.Script((Module as unknown as { wrap(code: string): string }).wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) produced.set(name, script);
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    // What the chunks' require() is asked for: sibling chunks and Node's own modules.
    const require = Object.assign((id: string) => this.require(id), { resolve: (request: string) => resolveFilename(request, this) });
    return wrapper.call(this.exports, this.exports, require, this, filename, bundleDir);
  };
  // At exit the scripts hold every function this run compiled, so the cache covers what ran. The
  // chunks other runs cached stay, unless this bundle no longer has them (rebuilt in place).
  process.once("exit", () => {
    if (produced.size === 0) return;
    try {
      const present = new Set(readdirSync(bundleDir));
      const chunks = new Map([...cached].filter(([name]) => present.has(name) && !produced.has(name)));
      for (const [name, script] of produced) chunks.set(name, script.createCachedData());
      writeCache(file, chunks);
    } catch {
      // A cache not written: the next run compiles, as this one did.
    }
  });
}
