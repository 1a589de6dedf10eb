/**
 * Go module path rules as `go mod init` applies them: golang.org/x/mod/module.CheckImportPath,
 * then the major-version suffix check (module.SplitPathVersion). Returns an error message, or
 * undefined when the path is valid.
 */
export function validateModulePath(path: string): string | undefined {
  const problem = checkImportPath(path) ?? checkMajorVersionSuffix(path);
  return problem && `invalid Go module path ${JSON.stringify(path)}: ${problem}`;
}

const windowsReservedNames = new Set([
  "CON", "PRN", "AUX", "NUL",
  ...Array.from({ length: 9 }, (_, i) => `COM${i + 1}`),
  ...Array.from({ length: 9 }, (_, i) => `LPT${i + 1}`),
]);

function checkImportPath(path: string): string | undefined {
  if (path === "") return "empty string";
  if (path.startsWith("-")) return "leading dash";
  if (path.includes("//")) return "double slash";
  if (path.endsWith("/")) return "trailing slash";
  for (const elem of path.split("/")) {
    const problem = checkElement(elem);
    if (problem) return problem;
  }
  return undefined;
}

function checkElement(elem: string): string | undefined {
  if (elem === "") return "empty path element";
  if (/^\.+$/.test(elem)) return `invalid path element ${JSON.stringify(elem)}`;
  if (elem.endsWith(".")) return "trailing dot in path element";
  for (const ch of elem) {
    if (!/^[A-Za-z0-9\-._~+]$/.test(ch)) return `invalid char ${JSON.stringify(ch)}`;
  }
  const dot = elem.indexOf(".");
  const short = dot === -1 ? elem : elem.slice(0, dot);
  if (windowsReservedNames.has(short.toUpperCase())) {
    return `${JSON.stringify(short)} disallowed as path element component on Windows`;
  }
  const tilde = short.lastIndexOf("~");
  if (tilde >= 0 && tilde < short.length - 1 && /^\d+$/.test(short.slice(tilde + 1))) {
    return "trailing tilde and digits in path element";
  }
  return undefined;
}

function checkMajorVersionSuffix(path: string): string | undefined {
  if (path.startsWith("gopkg.in/")) {
    return /\.v(0|[1-9]\d*)(-unstable)?$/.test(path)
      ? undefined
      : "gopkg.in/ paths must end in a version suffix such as .v1";
  }
  const suffix = /\/v[0-9.]+$/.exec(path);
  if (!suffix || suffix.index === 0) return undefined;
  const major = suffix[0].slice(1);
  if (/^v[1-9]\d*$/.test(major) && major !== "v1") return undefined;
  return "major version suffixes must be in the form of /vN and are only allowed for v2 or later";
}
