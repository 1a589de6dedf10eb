import type { ProjectSpec } from "./schema.js";

/** Roadmap project: CLI Tool — "interact with APIs (like AWS CLI)" with Cobra and an HTTP client. */
export const cli: ProjectSpec = {
  id: "cli",
  title: "CLI Tool",
  description:
    "A Cobra command-line client for the URL-shortener API, in the spirit of the AWS CLI: named profiles, " +
    "flag > env > profile > default precedence, table/JSON/YAML output, documented exit codes, an HTTP " +
    "client with timeouts and Retry-After-aware retries, shell completions, man pages and GoReleaser archives.",
  stage: "Frameworks & ecosystem: CLI apps with Cobra (used in Kubernetes, Docker)",
  stack: ["Cobra", "HTTP client", "YAML", "GoReleaser"],
  tools: { golangciLint: "v2.15.0", govulncheck: "v1.9.0" },
  services: [],
  binaries: ["{{name}}"],
  layers: ["shared", "release", "cli"],
  options: [
    { name: "apiPort", type: "integer", message: "Port of the URL-shortener API it talks to by default", default: 8080, min: 1, max: 65535 },
  ],
};
