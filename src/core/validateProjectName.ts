/** Directory names the go command gives a meaning of their own, so a package under them misbehaves. */
const goSpecialNames: Readonly<Record<string, string>> = {
  vendor: "vendored dependencies: import paths through it are refused",
  testdata: "test fixtures: the go command ignores what is under it",
  internal: "packages under it may be imported only from within its parent directory",
};

/** Names Windows reserves, which the go command refuses in module and file paths (module.CheckFilePath). */
const windowsReserved = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/;

/**
 * The project's name: the target directory's base name unless the CLI's --name gives another. It
 * becomes the binary under cmd/ (so a directory of the module), the default module path's last
 * element, the container image and the compose service, so it is held to what all of them accept.
 * `label` says where the name came from. User input is quoted with JSON.stringify, so the message
 * stays one line whatever the name holds.
 */
export function validateProjectName(name: string, label = "directory name"): string | undefined {
  const quoted = JSON.stringify(name);
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 64) {
    return `invalid ${label} ${quoted}: use lowercase letters, digits and single dashes, starting with a letter (it becomes the binary and image name)`;
  }
  const special = goSpecialNames[name];
  if (special) return `${quoted} is a directory name the go command treats specially (${special}); choose another`;
  if (windowsReserved.test(name)) {
    return `${quoted} is a file name Windows reserves (the go command refuses it in module paths and module zips); choose another`;
  }
  return undefined;
}

/**
 * A valid project name made from text that is not one, such as a directory's base name:
 * `My Links` → `my-links`, `MyLinks` → `my-links`, `Café_2` → `cafe-2`. Undefined when nothing
 * valid comes out (`vendor`, `CON`, `日本`).
 */
export function suggestProjectName(text: string): string | undefined {
  const slug = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // accents, once NFKD split them off their letters
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, 64)
    .replace(/-+$/, "");
  return validateProjectName(slug) === undefined ? slug : undefined;
}
