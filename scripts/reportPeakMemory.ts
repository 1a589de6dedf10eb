// Preloaded by the benchmark (node --import): at exit, prints the process's peak resident set
// size to stderr, so the figure covers the whole create-gopher-project process.
process.on("exit", () => {
  process.stderr.write(`\npeak-rss-kib ${process.resourceUsage().maxRSS}\n`);
});
