/** One file of a template layer, as generation needs it. */
export interface LayerFile {
  /** Its path in the layer, as stored (`_gitignore`, `Makefile.hbs`). */
  file: string;
  /** Whether it is written executable (0755) rather than 0644. */
  executable: boolean;
  /** For a `.hbs`, the template compiled ahead of time, so it is neither read nor compiled. */
  template?: TemplateSpecification;
  /** In the bundle, for any other file: where its bytes are in the layer's blob (offset, length). */
  bytes?: readonly [offset: number, length: number];
}

/**
 * The layers of templates/ as the published bundle's build found them: each layer's files, modes
 * and precompiled templates, loaded when the layer is first rendered; the other files' bytes are
 * in the layer's blob. From the source tree this is empty and every layer is read from disk
 * (readLayer.ts); scripts/build.ts replaces this module.
 */
export const templateIndex: ReadonlyMap<string, () => Promise<readonly LayerFile[]>> = new Map();
