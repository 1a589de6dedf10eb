import type { ProjectSpec } from "./schema.js";

/** Roadmap project: Distributed Job Queue — "worker system with retry + metrics" on NATS and Prometheus. */
export const jobQueue: ProjectSpec = {
  id: "job-queue",
  title: "Distributed Job Queue",
  description:
    "An API that enqueues jobs and workers that run them from NATS JetStream: a hand-written worker pool " +
    "with bounded concurrency, per-job timeouts and panic recovery, retries with exponential backoff and " +
    "jitter, a dead-letter stream, job status in a key-value bucket, idempotent enqueue, Prometheus metrics " +
    "with a Grafana dashboard, and a load test plus profiling guide.",
  stage: "Months 1–2: write a custom worker pool + profiler report; months 7–8: Prometheus + Grafana",
  stack: ["NATS JetStream", "worker pool", "Prometheus", "Grafana", "pprof", "Docker"],
  tools: { golangciLint: "v2.15.0", govulncheck: "v1.9.0" },
  services: ["nats"],
  withoutDocker: { env: { NATS_URL: "nats://127.0.0.1:4222" }, setup: [] },
  binaries: ["api", "worker", "loadtest"],
  layers: ["shared", "plumbing", "docker", "job-queue"],
  options: [
    { name: "workerConcurrency", type: "integer", message: "Jobs one worker runs at once", default: 8, min: 1, max: 1024 },
  ],
};
