import type { ProjectSpec } from "./schema.js";

/** Roadmap project: URL Shortener — "API + Redis cache + PostgreSQL" with Gin, GORM, Docker. */
export const urlShortener: ProjectSpec = {
  id: "url-shortener",
  title: "URL Shortener",
  description:
    "A versioned Gin HTTP API that shortens URLs: PostgreSQL through GORM behind a repository interface, " +
    "a Redis cache-aside that redirects survive losing, embedded goose migrations, batched hit counting, " +
    "per-client rate limiting, Prometheus metrics, pprof on an admin listener and graceful shutdown.",
  stage: "Months 3–4: build a REST API with Gin + GORM, deploy on Docker + CI/CD",
  stack: ["Gin", "GORM", "PostgreSQL", "Redis", "goose", "Prometheus", "Docker"],
  tools: { golangciLint: "v2.15.0", govulncheck: "v1.9.0" },
  services: ["postgres", "redis"],
  withoutDocker: {
    env: { DATABASE_URL: "postgres://postgres@127.0.0.1:5432/links?sslmode=disable", REDIS_URL: "redis://127.0.0.1:6379/0" },
    setup: [{ command: "make db", does: "creates the links database, once" }],
  },
  binaries: ["{{name}}"],
  layers: ["shared", "plumbing", "docker", "url-shortener"],
  options: [
    { name: "httpPort", type: "integer", message: "HTTP port the API listens on", default: 8080, min: 1024, max: 65535 },
    { name: "codeLength", type: "integer", message: "Length of generated short codes", default: 7, min: 5, max: 16 },
  ],
};
