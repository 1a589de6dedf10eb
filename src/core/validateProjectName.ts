/**
 * The project's name is the target directory's base name. It becomes the binary under cmd/,
 * the container image and the compose service, so it is held to what all three accept.
 */
export function validateProjectName(name: string): string | undefined {
  if (/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) && name.length <= 64) return undefined;
  return `invalid directory name "${name}": use lowercase letters, digits and single dashes, starting with a letter (it becomes the binary and image name)`;
}
