import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import vm from "node:vm";

/**
 * Start-up is mostly V8 compiling the bundle (yargs alone is 128 KB), so the compiled code is
 * kept between runs, as Node 22's module.enableCompileCache() keeps it: a second run of the CLI
 * (--help then a generation, the tests, a CI job) starts about 10 ms sooner. Node 22.1+ does it
 * natively; on Node 20, which has no such API, the bundle's content-hashed chunks are compiled
 * through vm.Script with V8's cached data, kept in a folder of the temp directory per user, V8
 * version and architecture, and written when a run compiled a chunk that had none. Anything that
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

function cacheChunks(bundleDir: string, dir: string): void {
  const proto = (Module as unknown as { prototype: CompiledModule }).prototype;
  const compile = proto._compile;
  const produced: { script: vm.Script; file: string }[] = [];
  proto._compile = function (this: CompiledModule, content: string, filename: string) {
    if (path.dirname(filename) !== bundleDir || !chunkName.test(filename)) return compile.call(this, content, filename);
    const file = path.join(dir, `${path.basename(filename)}.bin`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      // Not cached yet.
    }
    const script = new vm.Script((Module as unknown as { wrap(code: string): string }).wrap(content), { filename, cachedData });
    if (!cachedData || script.cachedDataRejected) produced.push({ script, file });
    const wrapper = script.runInThisContext() as (...args: unknown[]) => unknown;
    // What the chunks' require() is asked for: sibling chunks and Node's own modules.
    const require = Object.assign((id: string) => this.require(id), { resolve: (request: string) => resolveFilename(request, this) });
    return wrapper.call(this.exports, this.exports, require, this, filename, bundleDir);
  };
  // At exit the scripts hold every function this run compiled, so the cache covers what ran.
  process.once("exit", () => {
    for (const { script, file } of produced) {
      try {
        const temporary = `${file}.${process.pid}`;
        writeFileSync(temporary, script.createCachedData());
        renameSync(temporary, file);
      } catch {
        return;
      }
    }
  });
}
