import type { ProjectSpec } from "./schema.js";

/**
 * Roadmap project: E-commerce API — "Full CRUD, auth, async tasks" with Echo, Ent, RabbitMQ and
 * Swagger. The api binary comes first: it is the one the image starts by default (compose and
 * the worker service give the worker its own entrypoint).
 */
export const ecommerce: ProjectSpec = {
  id: "ecommerce",
  title: "E-commerce API",
  description:
    "A shop API in clean architecture: Echo v5 handlers over framework-free use cases over Ent repositories " +
    "(products with cursor pagination, filters and ETags; customers with argon2id passwords and JWT roles; " +
    "orders placed in one transaction that never oversells, with Idempotency-Key), versioned migrations, " +
    "a transactional outbox relayed to RabbitMQ with publisher confirms, a worker with retries through a " +
    "delay queue, a parking queue and idempotent consumers, and a spec-first OpenAPI document served with Swagger UI.",
  stage: "Months 3–4: REST APIs, databases, clean architecture; months 5–6: messaging and async tasks",
  stack: ["Echo", "Ent", "PostgreSQL", "RabbitMQ", "OpenAPI", "Swagger UI", "JWT", "Docker"],
  tools: { golangciLint: "v2.15.0", govulncheck: "v1.9.0" },
  services: ["postgres", "rabbitmq"],
  withoutDocker: {
    env: {
      DATABASE_URL: "postgres://postgres@127.0.0.1:5432/ecommerce?sslmode=disable",
      AMQP_URL: "amqp://guest:guest@127.0.0.1:5672/",
    },
    setup: [
      { command: "export JWT_SECRET=$(openssl rand -hex 32)", does: "the key this shell's api signs tokens with" },
      { command: "make db", does: "creates the database and applies the migrations, once" },
    ],
  },
  binaries: ["api", "worker", "loadtest"],
  layers: ["shared", "plumbing", "docker", "ecommerce"],
  options: [
    {
      name: "lowStockThreshold",
      type: "integer",
      message: "Stock level below which an order raises a stock-low alert",
      default: 5,
      min: 0,
      max: 100000,
    },
    {
      name: "maxDeliveryAttempts",
      type: "integer",
      message: "Attempts a task gets before its message is parked",
      default: 5,
      min: 1,
      max: 25,
    },
  ],
};
