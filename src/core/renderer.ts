import Handlebars from "handlebars";

/**
 * The one Handlebars environment templates are rendered with: no HTML escaping (we emit Go,
 * YAML and Makefiles, never HTML) and strict mode (a missing variable fails the render).
 * Helpers are registered here and nowhere else. A template is its text, compiled on first use,
 * or its form precompiled with the same options (the bundle's templateIndex), used as it is.
 */
export type Render = (template: string | TemplateSpecification, context: object, sourceName: string) => string;

/** How every template is compiled: at run time here, ahead of time by the bundle's build. */
export const compileOptions = { noEscape: true, strict: true } as const;

export function createRenderer(): Render {
  const hb = Handlebars.create();
  hb.registerHelper("goString", (value: unknown) => goQuote(String(value)));
  hb.registerHelper("upperSnake", (value: unknown) => String(value).toUpperCase().replace(/-/g, "_"));
  hb.registerHelper("or", (...args: unknown[]) => args.slice(0, -1).some(Boolean));

  const cache = new Map<string | TemplateSpecification, HandlebarsTemplateDelegate>();
  return (template, context, sourceName) => {
    let compiled = cache.get(template);
    if (!compiled) {
      compiled = typeof template === "string" ? hb.compile(template, compileOptions) : hb.template(template);
      cache.set(template, compiled);
    }
    try {
      return compiled(context);
    } catch (error) {
      throw new Error(`cannot render ${sourceName}: ${(error as Error).message}`, { cause: error });
    }
  };
}

/** Quotes a string as a Go interpreted string literal, as strconv.Quote would for printable text. */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
