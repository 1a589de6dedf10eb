/**
 * Templates compiled ahead of time, by their text. From the source tree this is empty and each
 * template compiles the first time it renders; the published bundle's build (scripts/build.ts)
 * replaces this module with every `.hbs` of templates/ precompiled, so a run never compiles one.
 */
export const precompiledTemplates: ReadonlyMap<string, TemplateSpecification> = new Map();
