/**
 * Templates are Go modules under placeholder paths that appear nowhere else; generation turns
 * them into the user's module the way golang.org/x/tools/cmd/gonew does: every occurrence of a
 * placeholder path, in go.mod, import paths, ldflags, configs and docs, is rewritten.
 */
export const placeholderRoot = "example.com/gopher-template";

/** The placeholder module path of a template module (a project, or a shared Go layer). */
export const placeholderModule = (id: string): string => `${placeholderRoot}/${id}`;

export interface ModuleRewrite {
  from: string;
  to: string;
}

/** A path element continues with one of these; anything else ends the placeholder. */
const pathChar = /[A-Za-z0-9._~+-]/;

/** Rewrites each placeholder module path in text, matching whole path elements only. */
export function rewriteModulePaths(text: string, rewrites: readonly ModuleRewrite[]): string {
  let out = text;
  for (const { from, to } of rewrites) {
    if (!out.includes(from)) continue;
    let result = "";
    let at = 0;
    for (let i = out.indexOf(from); i !== -1; i = out.indexOf(from, i + from.length)) {
      const next = out[i + from.length];
      if (next !== undefined && pathChar.test(next)) continue;
      result += out.slice(at, i) + to;
      at = i + from.length;
    }
    out = result + out.slice(at);
  }
  return out;
}
