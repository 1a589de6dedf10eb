import type { CustomActionConfig, NodePlopAPI, PlopGenerator } from "node-plop";

/**
 * The Plop side of generation. It knows node-plop and nothing of the specs' schema or the
 * renderer: the generation core (src/core) hands it what a project is made of and the functions
 * that do the work, so the dependency points one way, from src/core to here.
 */
export const manifestFile = ".gopher-project.json";

/** What a project generator is built from. */
export interface GeneratorPlan {
  id: string;
  title: string;
  /** Template layers, rendered in order into the same tree. */
  layers: readonly string[];
  /** The contents of the manifest written last. */
  manifest: string;
}

/** The work behind the actions: render one layer, write one file. Each returns what it wrote. */
export interface GeneratorWork {
  renderLayer(layer: string): Promise<string[]>;
  writeFile(file: string, contents: string): Promise<void>;
}

/**
 * Registers the two action types every project generator is made of. node-plop keeps only an
 * error's message in its failures; onError receives the error itself, so its cause survives.
 */
export function registerActionTypes(plop: NodePlopAPI, work: GeneratorWork, onError: (error: unknown) => void): void {
  const keepingCause =
    <T>(action: () => Promise<T>) =>
    async (): Promise<T> => {
      try {
        return await action();
      } catch (error) {
        onError(error);
        throw error;
      }
    };
  plop.setActionType("renderLayer", (_data, config) =>
    keepingCause(async () => `${config.layer}: ${(await work.renderLayer(String(config.layer))).length} files`)(),
  );
  plop.setActionType("writeFile", (_data, config) =>
    keepingCause(async () => {
      await work.writeFile(String(config.file), String(config.contents));
      return String(config.file);
    })(),
  );
}

/** A project's Plop generator: one render action per layer, then the manifest. */
export function defineProjectGenerator(plop: NodePlopAPI, plan: GeneratorPlan): PlopGenerator {
  return plop.setGenerator(plan.id, {
    description: plan.title,
    prompts: [],
    actions: [
      ...plan.layers.map((layer): CustomActionConfig<"renderLayer"> => ({ type: "renderLayer", layer })),
      writeManifest(plan.manifest),
    ],
  });
}

function writeManifest(contents: string): CustomActionConfig<"writeFile"> {
  return { type: "writeFile", file: manifestFile, contents };
}
