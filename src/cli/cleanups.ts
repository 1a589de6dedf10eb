/** Staging directories to remove if the process is cut short (Ctrl-C, SIGTERM). */
export const cleanups = new Set<string>();
