/**
 * The --help text as yargs renders it at its widest (100 columns), for the published bundle: a
 * run asked only for --help prints it without loading yargs, which costs a first run (an empty
 * compile cache, as a one-off npx gets) about a third of Node's own start-up. From the source
 * tree this is undefined and yargs renders every help; scripts/build.ts replaces this module
 * with the text parseArgs gives for `--help`, so both are the same text by construction (and
 * test/cli checks the packed CLI's help against parseArgs').
 */
export const prerenderedHelp: { width: number; text: string } | undefined = undefined;
