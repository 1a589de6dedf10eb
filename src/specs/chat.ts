import type { ProjectSpec } from "./schema.js";

/**
 * Roadmap project: Microservice Chat App — "Auth, WebSocket, Gateway" with gRPC, JWT, NATS and
 * Kubernetes (deploy/k8s: a kustomize base with dev and prod overlays; deploy/helm/chart: a Helm
 * chart; both checked offline by the k8s workflow and `make k8s-check`). The gateway comes first:
 * it is the binary the image starts by default (compose gives auth and chat their own entrypoint;
 * the Kubernetes Deployments, their command).
 */
export const chat: ProjectSpec = {
  id: "chat",
  title: "Microservice Chat App",
  description:
    "Three gRPC-era services in one module: auth (argon2id passwords, Ed25519 JWT access tokens, rotated " +
    "refresh tokens with reuse detection), chat (rooms, cursor-paged history, live message streams) and a " +
    "gateway (REST through grpc-gateway, an authenticated WebSocket per room with rate limits and a bounded " +
    "send queue), fanned out across gateway replicas through NATS, stored in PostgreSQL, with protos built by buf, " +
    "deployed to Kubernetes by a kustomize base with dev and prod overlays or a Helm chart.",
  stage: "Months 5–6: microservices, gRPC, JWT; months 9–10: horizontal scaling",
  stack: ["gRPC", "grpc-gateway", "buf", "WebSocket", "JWT", "PostgreSQL", "NATS", "Docker", "Kubernetes", "Helm"],
  tools: { golangciLint: "v2.15.0", govulncheck: "v1.9.0" },
  services: ["postgres", "nats"],
  withoutDocker: {
    env: {
      AUTH_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/chat_auth?sslmode=disable",
      CHAT_DATABASE_URL: "postgres://postgres@127.0.0.1:5432/chat_chat?sslmode=disable",
      NATS_URL: "nats://127.0.0.1:4222",
    },
    setup: [
      { command: "make keys", does: "writes a dev JWT key pair into keys/, once" },
      { command: "make db", does: "creates the auth and chat databases, once" },
    ],
  },
  binaries: ["gateway", "auth", "chat", "loadtest"],
  layers: ["shared", "plumbing", "docker", "chat"],
  options: [
    {
      name: "wsSendQueue",
      type: "integer",
      message: "Messages queued per WebSocket client before a slow one is dropped",
      default: 64,
      min: 1,
      max: 4096,
    },
  ],
};
