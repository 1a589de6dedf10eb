import type { ProjectSpec, Service } from "../../src/specs/schema.js";
import { missing, reachable, services, toolPath } from "./environment.js";

/**
 * What the Go ladder of a project needs: Go, the pinned linters, and the services it talks to
 * (psql too where PostgreSQL is one). Returns the tools' paths and, on a machine that lacks
 * something, the reason to skip (under CI=true, missing() throws instead).
 */
export async function ladderPrerequisites(spec: ProjectSpec, needs: Service[] = spec.services) {
  const tools = {
    go: await toolPath("go"),
    golangciLint: await toolPath("golangci-lint"),
    actionlint: await toolPath("actionlint"),
    psql: needs.includes("postgres") ? await toolPath("psql") : "not needed",
  };
  const serviceChecks = await Promise.all(
    needs.map(async (service) => {
      const { host, port } = services[service];
      return { what: `${service} on ${host}:${port}`, ok: await reachable(host, port) };
    }),
  );
  const skipReason = missing([
    { what: "Go", ok: Boolean(tools.go) },
    { what: `golangci-lint ${spec.tools.golangciLint}`, ok: Boolean(tools.golangciLint) },
    { what: "actionlint", ok: Boolean(tools.actionlint) },
    { what: "psql", ok: Boolean(tools.psql) },
    ...serviceChecks,
  ]);
  return { tools: tools as { [K in keyof typeof tools]: string }, skipReason };
}
