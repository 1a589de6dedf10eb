import { createRequire } from "node:module";
import path from "node:path";
import { execa } from "execa";
import fs from "fs-extra";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { glob } from "tinyglobby";
import ts from "typescript";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { missing, toolPath } from "../support/environment.js";
import { generateInto, removeTree } from "../support/generate.js";

/**
 * The chat project's Kubernetes delivery, offline: `kustomize build` of both overlays and
 * `helm lint` + `helm template` of the chart, every rendered object validated against the
 * Kubernetes API schemas (kubernetes-models: types, required fields, formats; and, through its
 * typings, no field the API does not have), then the properties the manifests exist for.
 */
const name = "talk";
const chart = "deploy/helm/chart";
const pins = createRequire(import.meta.url)("../../package.json").config.goTools as Record<string, string>;
const kustomize = await toolPath("kustomize");
const helm = await toolPath("helm");
const actionlint = await toolPath("actionlint");
const skipReason = missing([
  { what: `kustomize ${pins.kustomize} (npm run tools)`, ok: Boolean(kustomize) },
  { what: `helm ${pins.helm} (npm run tools)`, ok: Boolean(helm) },
  { what: `actionlint ${pins.actionlint} (npm run tools)`, ok: Boolean(actionlint) },
]);

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> } } & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The kinds the delivery may render, each with its model (validation) and its typing (field names). */
const models: Record<string, { model: new (data: any) => { validate(): void }; typing: string }> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  "apps/v1 Deployment": { model: Deployment, typing: "apps/v1/Deployment" },
  "v1 Service": { model: Service, typing: "v1/Service" },
  "v1 ConfigMap": { model: ConfigMap, typing: "v1/ConfigMap" },
  "v1 Secret": { model: Secret, typing: "v1/Secret" },
  "v1 Namespace": { model: Namespace, typing: "v1/Namespace" },
  "policy/v1 PodDisruptionBudget": { model: PodDisruptionBudget, typing: "policy/v1/PodDisruptionBudget" },
  "autoscaling/v2 HorizontalPodAutoscaler": { model: HorizontalPodAutoscaler, typing: "autoscaling/v2/HorizontalPodAutoscaler" },
  "networking.k8s.io/v1 NetworkPolicy": { model: NetworkPolicy, typing: "networking.k8s.io/v1/NetworkPolicy" },
};

/** Field paths of value that its API type does not declare (a typo such as `readinesProbe`). */
function unknownFieldsChecker(): (kind: string, value: unknown) => string[] {
  const dir = path.dirname(createRequire(import.meta.url).resolve("kubernetes-models/package.json"));
  const files = Object.values(models).map((m) => path.join(dir, `${m.typing}.d.ts`));
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 });
  const checker = program.getTypeChecker();
  const roots = new Map<string, ts.Type>();
  for (const [kind, m] of Object.entries(models)) {
    const source = program.getSourceFile(path.join(dir, `${m.typing}.d.ts`));
    const iface = source?.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === `I${kind.split(" ")[1]}`);
    if (!iface) throw new Error(`no interface for ${kind} in kubernetes-models`);
    roots.set(kind, checker.getTypeAtLocation(iface.name));
  }
  const walk = (value: unknown, type: ts.Type, at: string, out: string[]): void => {
    if (value === null || typeof value !== "object") return;
    let t = checker.getNonNullableType(type);
    if (Array.isArray(value)) {
      const element = checker.getIndexTypeOfType(t, ts.IndexKind.Number);
      if (element) value.forEach((v, i) => walk(v, element, `${at}[${i}]`, out));
      return;
    }
    if (t.isUnion()) t = t.types.find((u) => u.getFlags() & ts.TypeFlags.Object) ?? t;
    if (!(t.getFlags() & ts.TypeFlags.Object) || checker.getIndexInfoOfType(t, ts.IndexKind.String)) return; // a map
    for (const [key, v] of Object.entries(value)) {
      const prop = t.getProperty(key);
      if (!prop) out.push(`${at}.${key}`);
      else walk(v, checker.getTypeOfSymbol(prop), `${at}.${key}`, out);
    }
  };
  return (kind, value) => {
    const out: string[] = [];
    walk(value, roots.get(kind)!, "", out);
    return out;
  };
}

async function run(command: string, args: string[], cwd: string): Promise<string> {
  const result = await execa(command, args, { cwd, reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.exitCode}):\n${result.all}`);
  return result.stdout;
}

function parse(stream: string): Obj[] {
  return parseAllDocuments(stream)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

const of = (objects: Obj[], kind: string) => objects.filter((o) => o.kind === kind);
const find = (objects: Obj[], kind: string, objName: string) => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === objName);
  if (!found) throw new Error(`no ${kind} ${objName} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`);
  return found;
};
const deployment = (objects: Obj[], service: string) => find(objects, "Deployment", `${name}-${service}`);
const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
const cpu = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) / 1000 : Number(q));
const mebibytes = (q: string) => Number(q.replace(/Mi$/, "").replace(/Gi$/, "000"));

const services = ["auth", "chat", "gateway"] as const;
type ServiceName = (typeof services)[number];

/** distroless's nonroot user and group: what the image's `USER nonroot:nonroot` runs as. */
const distrolessNonroot = 65532;
/** Variables the Go runtime reads rather than the binaries' configuration. */
const runtimeEnv = new Set(["GOMEMLIMIT", "GOMAXPROCS", "GOGC", "GODEBUG"]);

/** What a binary of the generated repository really reads and serves, from its Go source. */
interface Binary {
  /** Every variable its configuration reads (internal/config: the env tags of the struct it loads). */
  env: Set<string>;
  /** Its HTTP routes: path → handler (`health.Healthz`, `health.Readyz`, …). */
  routes: Map<string, string>;
  /** It serves the standard gRPC health service, its overall ("") status mirroring /readyz. */
  grpcHealth: boolean;
}

/** The variables each configuration struct of config.go reads, its embedded structs' included. */
function configEnv(source: string): Map<string, Set<string>> {
  const structs = new Map<string, { env: string[]; embeds: string[] }>();
  for (const m of source.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    structs.set(m[1]!, {
      env: [...m[2]!.matchAll(/`env:"([A-Za-z0-9_]+)[,"]/g)].map((e) => e[1]!),
      embeds: [...m[2]!.matchAll(/^\t([A-Z]\w*)[ \t]*(?:\/\/.*)?$/gm)].map((e) => e[1]!),
    });
  }
  const resolve = (type: string): string[] => {
    const struct = structs.get(type);
    if (!struct) throw new Error(`internal/config/config.go has no struct ${type}`);
    return [...struct.env, ...struct.embeds.flatMap(resolve)];
  };
  return new Map([...structs.keys()].map((type) => [type, new Set(resolve(type))]));
}

async function readBinaries(dir: string): Promise<Record<ServiceName, Binary>> {
  const read = (file: string) => fs.readFile(path.join(dir, file), "utf8");
  const env = configEnv(await read("internal/config/config.go"));
  const routesOf = (source: string) =>
    new Map([...source.matchAll(/\.Handle(?:Func)?\("(?:[A-Z]+ )?(\/[^"]*)",\s*([\w.]+)/g)].map((m) => [m[1]!, m[2]!]));
  const app = await read("internal/app/app.go");
  const grpcHealth = /healthpb\.RegisterHealthServer\(/.test(await read("internal/grpcserver/grpcserver.go")) && /SetServingStatus\("", /.test(app);
  const binaries = {} as Record<ServiceName, Binary>;
  for (const service of services) {
    const run = await read(`cmd/${service}/run.go`);
    const loads = /config\.Load(\w+)\(ctx, getenv\)/.exec(run)?.[1];
    expect(loads, `cmd/${service}/run.go loads its configuration with config.Load…`).toBeDefined();
    expect(env.has(loads!), `config.go declares ${loads}`).toBe(true);
    // auth and chat serve their probes through internal/app; the gateway on its own mux.
    const grpc = service !== "gateway";
    expect(run, `cmd/${service}/run.go`).toContain(grpc ? "app.ServeGRPC(" : "gateway.New(");
    binaries[service] = {
      env: env.get(loads!)!,
      routes: routesOf(grpc ? app : await read("internal/gateway/gateway.go")),
      grpcHealth: grpc && grpcHealth,
    };
  }
  return binaries;
}

/** Calls that write to the filesystem, in the Go the deployed binaries are built from (tests aside). */
async function fileWrites(dir: string): Promise<string[]> {
  const writes = /\b(?:os\.(?:Create|CreateTemp|MkdirTemp|WriteFile|OpenFile|Mkdir|MkdirAll|Rename|Remove|RemoveAll|Symlink|Link|Chmod|Chown|Truncate)|ioutil\.\w+)\(/g;
  const found: string[] = [];
  for (const file of await glob([...services.map((s) => `cmd/${s}/**/*.go`), "internal/**/*.go"], { cwd: dir, ignore: ["**/*_test.go"] })) {
    for (const m of (await fs.readFile(path.join(dir, file), "utf8")).matchAll(writes)) found.push(`${file}: ${m[0]}`);
  }
  return found.sort();
}

/** A Go duration of whole seconds or minutes ("25s", "1m"), in seconds. */
const seconds = (d: string) => {
  const m = /^(\d+)(s|m)$/.exec(d);
  if (!m) throw new Error(`not a duration of whole seconds or minutes: ${d}`);
  return Number(m[1]) * (m[2] === "m" ? 60 : 1);
};

/** The Secrets (name → keys) a rendering makes the pods read: env secretKeyRefs and secret volumes. */
function referencedSecrets(objects: Obj[]): Map<string, Set<string>> {
  const secrets = new Map<string, Set<string>>();
  const add = (name: string, key: string) => secrets.set(name, (secrets.get(name) ?? new Set()).add(key));
  for (const d of of(objects, "Deployment")) {
    const pod = d.spec.template.spec;
    for (const c of pod.containers) {
      for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) add(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
      expect((c.envFrom ?? []).filter((f: { secretRef?: unknown }) => f.secretRef), `${d.metadata.name}: Secrets by key, not envFrom`).toEqual([]);
    }
    for (const v of pod.volumes ?? []) {
      if (!v.secret) continue;
      expect(v.secret.items?.length, `${d.metadata.name}: volume ${v.name} names the keys it mounts`).toBeGreaterThan(0);
      for (const item of v.secret.items) add(v.secret.secretName, item.key);
    }
  }
  return secrets;
}

/** The Secrets (name → keys) the README's `kubectl create secret generic` lines create, per namespace. */
function readmeSecrets(readme: string): Map<string, Map<string, Set<string>>> {
  const byNamespace = new Map<string, Map<string, Set<string>>>();
  for (const m of readme.matchAll(/^kubectl -n (\S+) create secret generic (\S+)((?: --from-(?:file|literal)=\S+)+)/gm)) {
    const secrets = byNamespace.get(m[1]!) ?? new Map<string, Set<string>>();
    const keys = secrets.get(m[2]!) ?? new Set<string>();
    for (const [, kind, value] of m[3]!.matchAll(/--from-(file|literal)=(\S+)/g)) {
      // --from-file=path: the key is the file's base name (or key=path); --from-literal=KEY=value.
      keys.add(kind === "literal" || value!.includes("=") ? value!.split("=")[0]! : path.basename(value!));
    }
    byNamespace.set(m[1]!, secrets.set(m[2]!, keys));
  }
  return byNamespace;
}

/** What every rendering of the delivery must hold, whichever tool rendered it. */
function checkDelivery(objects: Obj[], check: (kind: string, value: unknown) => string[], binaries: Record<ServiceName, Binary>): void {
  for (const o of objects) {
    const key = `${o.apiVersion} ${o.kind}`;
    const entry = models[key];
    expect(entry, `${key} ${o.metadata.name}: a kind the test knows`).toBeDefined();
    expect(() => new entry!.model(o).validate(), `${key} ${o.metadata.name} against the API schema`).not.toThrow();
    expect(check(key, o), `${key} ${o.metadata.name}: fields the API does not have`).toEqual([]);
  }
  for (const secret of of(objects, "Secret")) {
    expect(secret.data ?? secret.stringData, `Secret ${secret.metadata.name} carries no values`).toBeUndefined();
  }

  const configMaps = new Map(of(objects, "ConfigMap").map((c) => [c.metadata.name, c.data as Record<string, string>]));
  expect(of(objects, "Deployment").map((d) => d.metadata.name).sort()).toEqual(services.map((s) => `${name}-${s}`));
  for (const service of services) {
    const binary = binaries[service];
    const d = deployment(objects, service);
    const pod = d.spec.template.spec;
    const labels = d.spec.template.metadata.labels as Record<string, string>;
    expect(selects(d.spec.selector.matchLabels, labels), `${service}: the selector selects its pods`).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: distrolessNonroot, runAsGroup: distrolessNonroot, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers).toHaveLength(1);
    for (const c of pod.containers) {
      expect(c.command, `${service}: the binary of the one image`).toEqual([`/app/${service}`]);
      // serve, the one subcommand the manifests run: it writes nothing (readOnlyRootFilesystem).
      expect(c.args, `${service}: the subcommand`).toEqual(["serve"]);
      expect(c.image).toMatch(new RegExp(`(^|/)${name}:[\\w.-]+$`));
      expect(c.securityContext, `${service}'s container securityContext`).toMatchObject({
        runAsNonRoot: true,
        runAsUser: distrolessNonroot,
        runAsGroup: distrolessNonroot,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(c.securityContext.capabilities.add).toBeUndefined();
      for (const r of ["cpu", "memory"]) {
        expect(c.resources?.requests?.[r], `${service}: requests.${r}`).toBeDefined();
        expect(c.resources?.limits?.[r], `${service}: limits.${r}`).toBeDefined();
      }
      const ports = new Map<string, number>(c.ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
      const env = new Map<string, any>(c.env.map((e: { name: string }) => [e.name, e])); // eslint-disable-line @typescript-eslint/no-explicit-any
      // Every variable the container gets (env, and the keys of its envFrom ConfigMaps) is one its
      // binary's configuration reads, by the exact name: a misspelt one is silently ignored, and
      // the default it leaves (a loopback address, say) breaks the deploy.
      const fromConfigMaps = (c.envFrom ?? []).flatMap((f: { configMapRef?: { name: string } }) => Object.keys(configMaps.get(f.configMapRef?.name ?? "") ?? {}));
      const names = [...c.env.map((e: { name: string }) => e.name), ...fromConfigMaps] as string[];
      expect(names.filter((n) => !binary.env.has(n) && !runtimeEnv.has(n)), `${service}: variables its binary does not read (internal/config)`).toEqual([]);
      expect(names.filter((n, i) => names.indexOf(n) !== i), `${service}: variables set twice`).toEqual([]);
      const merged: Record<string, string> = Object.assign({}, ...(c.envFrom ?? []).map((f: { configMapRef: { name: string } }) => configMaps.get(f.configMapRef.name)));
      // Longer than the binary's own shutdown budget: it drains before the kubelet's SIGKILL.
      expect(pod.terminationGracePeriodSeconds, `${service}: terminationGracePeriodSeconds > SHUTDOWN_TIMEOUT`).toBeGreaterThan(seconds(merged.SHUTDOWN_TIMEOUT ?? "25s"));
      // The addresses the binary listens on are the ports the probes and Services use.
      expect(env.get("HTTP_ADDR")?.value).toBe(`:${ports.get("http")}`);
      // Probes hit routes the binary serves. Liveness is the one that checks nothing but the
      // process (health.Healthz); readiness checks the dependencies.
      const servedBy = (handler: string) => [...binary.routes].filter(([, h]) => h === handler).map(([p]) => p);
      expect(servedBy("health.Healthz"), `${service}: one health.Healthz route`).toHaveLength(1);
      for (const probe of [c.livenessProbe, c.startupProbe]) expect(probe?.httpGet).toEqual({ path: servedBy("health.Healthz")[0], port: "http" });
      for (const probe of [c.livenessProbe, c.startupProbe, c.readinessProbe]) {
        if (probe?.httpGet) expect(binary.routes.has(probe.httpGet.path), `${service}: it serves ${probe.httpGet.path}`).toBe(true);
      }
      if (service === "gateway") {
        expect(c.readinessProbe?.httpGet).toEqual({ path: servedBy("health.Readyz")[0], port: "http" });
        expect(servedBy("health.Readyz")).toHaveLength(1);
        expect(ports.has("grpc")).toBe(false);
      } else {
        // The standard gRPC health service, on the port the server listens on; no service name:
        // the server's overall status, which mirrors /readyz.
        expect(binary.grpcHealth, `${service} serves grpc.health.v1 with its overall status`).toBe(true);
        expect(c.readinessProbe?.grpc).toEqual({ port: ports.get("grpc") });
        expect(env.get("GRPC_ADDR")?.value).toBe(`:${ports.get("grpc")}`);
        expect(env.get("DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({ name: `${name}-${service}-db`, key: "DATABASE_URL" });
      }
      for (const e of c.env) {
        if (/DATABASE_URL|PASSWORD|PRIVATE_KEY$|TOKEN/.test(e.name)) expect(e.value, `${service}: ${e.name} from a Secret`).toBeUndefined();
      }
      for (const from of c.envFrom) expect(configMaps.has(from.configMapRef?.name), `${service}: ConfigMap ${from.configMapRef?.name} is rendered`).toBe(true);
      // The JWT keys come from Secrets; the private key reaches auth only.
      const keys = pod.volumes.find((v: { name: string }) => v.name === c.volumeMounts[0].name);
      const keyFile = service === "auth" ? "jwt-ed25519.pem" : "jwt-ed25519.pub.pem";
      expect(keys.secret).toMatchObject({ secretName: `${name}-jwt-${service === "auth" ? "signing" : "public"}`, items: [{ key: keyFile, path: keyFile }] });
      expect(env.get(service === "auth" ? "JWT_PRIVATE_KEY_FILE" : "JWT_PUBLIC_KEY_FILES")?.value).toBe(`${c.volumeMounts[0].mountPath}/${keyFile}`);
    }

    const pdb = find(objects, "PodDisruptionBudget", `${name}-${service}`);
    expect(selects(pdb.spec.selector.matchLabels, labels), `${service}: its PodDisruptionBudget selects its pods`).toBe(true);
    const svc = find(objects, "Service", `${name}-${service}`);
    expect(selects(svc.spec.selector, labels), `${service}: its Service selects its pods`).toBe(true);
    const containerPorts = new Map<string, number>(pod.containers[0].ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]));
    for (const p of svc.spec.ports) expect(containerPorts.has(p.targetPort), `${service}: Service port ${p.name} targets a container port`).toBe(true);
    // Headless for the gRPC services: the client balances over every pod (round_robin). It dials
    // the pods' addresses, so no port mapping applies: the Service's port is the container's.
    if (service === "gateway") expect(svc.spec.clusterIP).toBeUndefined();
    else {
      expect(svc.spec.clusterIP).toBe("None");
      for (const p of svc.spec.ports) expect(p.port, `${service}: headless Service port ${p.name}`).toBe(containerPorts.get(p.targetPort));
    }
  }

  // The gateway reaches auth and chat by their headless Services, through dns:/// and round_robin.
  const gateway = deployment(objects, "gateway");
  const gatewayEnv = Object.assign({}, ...gateway.spec.template.spec.containers[0].envFrom.map((f: { configMapRef: { name: string } }) => configMaps.get(f.configMapRef.name)));
  for (const [target, service] of [["AUTH_TARGET", "auth"], ["CHAT_TARGET", "chat"]] as const) {
    const grpcPort = find(objects, "Service", `${name}-${service}`).spec.ports.find((p: { name: string }) => p.name === "grpc").port;
    expect(gatewayEnv[target]).toBe(`dns:///${name}-${service}:${grpcPort}`);
    const listens = deployment(objects, service).spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === "GRPC_ADDR").value;
    expect(`:${grpcPort}`, `${target}'s port is where ${service} listens (GRPC_ADDR)`).toBe(listens);
  }

  const hpas = of(objects, "HorizontalPodAutoscaler");
  expect(hpas.map((h) => h.spec.scaleTargetRef)).toEqual([{ apiVersion: "apps/v1", kind: "Deployment", name: `${name}-gateway` }]);
  expect(hpas[0]!.spec.minReplicas).toBeLessThanOrEqual(hpas[0]!.spec.maxReplicas);
  expect(gateway.spec.replicas, "the HPA owns the gateway's replicas").toBeUndefined();

  checkNetworkPolicies(objects);
}

function checkNetworkPolicies(objects: Obj[]): void {
  const policies = of(objects, "NetworkPolicy");
  const podLabels = (service: string) => deployment(objects, service).spec.template.metadata.labels as Record<string, string>;
  const applying = (service: string) => policies.filter((p) => selects(p.spec.podSelector.matchLabels, podLabels(service)));
  const rules = (service: string, type: "ingress" | "egress") =>
    applying(service).flatMap((p) => (p.spec[type] ?? []) as { from?: any[]; to?: any[]; ports: { port: number; protocol: string }[] }[]); // eslint-disable-line @typescript-eslint/no-explicit-any
  const allowsPort = (service: string, type: "ingress" | "egress", port: number) => rules(service, type).some((r) => r.ports.some((p) => p.port === port));
  const portOf = (service: string, portName: string) =>
    deployment(objects, service).spec.template.spec.containers[0].ports.find((p: { name: string }) => p.name === portName)?.containerPort as number;
  const natsURLs = of(objects, "ConfigMap").flatMap((c) => (c.data?.NATS_URL ? [c.data.NATS_URL as string] : []));
  expect(natsURLs.length, "a ConfigMap sets NATS_URL").toBeGreaterThan(0);
  expect(new Set(natsURLs).size, "one NATS_URL").toBe(1);
  const natsPort = Number(new URL(natsURLs[0]!).port || 4222);

  for (const service of services) {
    const deny = applying(service).find((p) => !p.spec.ingress && !p.spec.egress && p.spec.policyTypes.includes("Ingress") && p.spec.policyTypes.includes("Egress"));
    expect(deny, `${service}: a default-deny policy applies`).toBeDefined();
    expect(allowsPort(service, "egress", 53), `${service}: DNS`).toBe(true);
  }
  // auth and chat take gRPC from the gateway's pods only.
  for (const service of ["auth", "chat"]) {
    const port = portOf(service, "grpc");
    const ingress = rules(service, "ingress");
    expect(ingress.length).toBeGreaterThan(0);
    for (const r of ingress) {
      expect(r.ports.map((p) => p.port)).toEqual([port]);
      expect(r.from?.length, `${service}: ingress names its sources`).toBeGreaterThan(0);
      for (const f of r.from ?? []) {
        expect(f.namespaceSelector ?? f.ipBlock, `${service}: from this namespace's pods only`).toBeUndefined();
        expect(selects(f.podSelector.matchLabels, podLabels("gateway")) && !selects(f.podSelector.matchLabels, podLabels(service))).toBe(true);
      }
    }
    expect(rules("gateway", "egress").some((r) => r.ports.some((p) => p.port === port) && r.to?.some((t) => selects(t.podSelector?.matchLabels ?? {}, podLabels(service))))).toBe(true);
  }
  expect(allowsPort("gateway", "ingress", portOf("gateway", "http"))).toBe(true);
  expect(allowsPort("auth", "egress", 5432) && allowsPort("chat", "egress", 5432)).toBe(true);
  expect(allowsPort("chat", "egress", natsPort) && allowsPort("gateway", "egress", natsPort)).toBe(true);
  expect(allowsPort("auth", "egress", natsPort), "auth does not talk to NATS").toBe(false);
  // auth and chat call no other service of the release (chat verifies tokens with the public key).
  for (const service of ["auth", "chat"]) {
    const toPeers = rules(service, "egress").filter((r) => r.to?.some((t) => services.some((peer) => selects(t.podSelector?.matchLabels ?? {}, podLabels(peer)))));
    expect(toPeers, `${service}: egress to the release's pods`).toEqual([]);
    expect(allowsPort(service, "egress", portOf(service === "auth" ? "chat" : "auth", "grpc")), `${service}: egress on the other service's gRPC port`).toBe(false);
  }
  expect(allowsPort("gateway", "egress", 5432), "the gateway does not talk to PostgreSQL").toBe(false);
}

const workloads = (objects: Obj[]) =>
  objects.filter((o) => !["ConfigMap", "Namespace"].includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`).sort();
const limitsOf = (objects: Obj[], service: string) => deployment(objects, service).spec.template.spec.containers[0].resources.limits;

describe.skipIf(skipReason)("chat's Kubernetes delivery, rendered and validated offline", () => {
  let dir: string;
  let check: (kind: string, value: unknown) => string[];
  let binaries: Record<ServiceName, Binary>;
  const rendered: Record<"dev" | "prod" | "helm", Obj[]> = { dev: [], prod: [], helm: [] };

  beforeAll(async () => {
    ({ dir } = await generateInto("chat", { name }));
    check = unknownFieldsChecker();
    binaries = await readBinaries(dir);
  });
  afterAll(() => dir && removeTree(dir));

  it("the field check catches a field the API does not have", () => {
    const typo = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x", labels: { any: "label" } }, spec: { template: { spec: { containers: [{ name: "c", readinesProbe: {} }] } } } };
    expect(check("apps/v1 Deployment", typo)).toEqual([".spec.template.spec.containers[0].readinesProbe"]);
  });

  it("reads what the binaries read and serve from their Go source", () => {
    // Spot checks that the parsing found the configuration and the routes at all.
    expect([...binaries.auth.env]).toEqual(expect.arrayContaining(["HTTP_ADDR", "GRPC_ADDR", "DATABASE_URL", "JWT_PRIVATE_KEY_FILE", "SHUTDOWN_TIMEOUT"]));
    expect([...binaries.chat.env]).toEqual(expect.arrayContaining(["GRPC_ADDR", "DATABASE_URL", "JWT_PUBLIC_KEY_FILES", "NATS_URL"]));
    expect([...binaries.gateway.env]).toEqual(expect.arrayContaining(["AUTH_TARGET", "CHAT_TARGET", "NATS_URL", "WS_SEND_QUEUE"]));
    expect(binaries.auth.env.has("NATS_URL") || binaries.gateway.env.has("GRPC_ADDR") || binaries.gateway.env.has("DATABASE_URL")).toBe(false);
    for (const service of services) expect(binaries[service].routes.get("/metrics"), `${service} serves /metrics`).toBeDefined();
    expect(configEnv("type A struct {\n\tB\n\tX string `env:\"X_ONE, default=1\"`\n}\n\ntype B struct {\n\tY int `env:\"Y_TWO\"` // y\n}\n").get("A")).toEqual(new Set(["X_ONE", "Y_TWO"]));
  });

  it("runs an image whose user, binaries and writes fit the manifests' securityContext", async () => {
    const dockerfile = await fs.readFile(path.join(dir, "Dockerfile"), "utf8");
    // runAsUser/runAsGroup 65532 is distroless's nonroot, the user the image says it runs as.
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/[\w.-]+:nonroot$/m);
    expect(dockerfile).toMatch(/^USER nonroot:nonroot$/m);
    // /app/<service>: every binary under cmd/ lands in /app/.
    expect(dockerfile).toMatch(/go build .* -o \/out\/ \.\/cmd\/\.\.\.$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \/out\/ \/app\/$/m);
    for (const service of services) expect(await fs.pathExists(path.join(dir, "cmd", service, "main.go")), `cmd/${service}`).toBe(true);
    // readOnlyRootFilesystem: the one write in the binaries' code is the auth binary's `keys`
    // subcommand (a dev key pair), which the manifests never run (args: serve).
    expect(await fileWrites(dir)).toEqual(["internal/jwtauth/keys.go: os.MkdirAll(", "internal/jwtauth/keys.go: os.OpenFile("]);
  });

  it.each(["dev", "prod"] as const)("kustomize builds overlays/%s into valid objects", async (overlay) => {
    rendered[overlay] = parse(await run(kustomize!, ["build", `deploy/k8s/overlays/${overlay}`], dir));
    checkDelivery(rendered[overlay], check, binaries);
    const namespace = overlay === "dev" ? `${name}-dev` : name;
    expect(find(rendered[overlay], "Namespace", namespace).metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    for (const o of rendered[overlay].filter((x) => x.kind !== "Namespace")) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(namespace);
  });

  it("the overlays differ as intended: dev small and reflective, prod replicated and larger", () => {
    const { dev, prod } = rendered;
    expect(dev.length && prod.length, "both overlays were built").toBeTruthy();
    for (const service of ["auth", "chat"]) {
      expect(deployment(dev, service).spec.replicas).toBe(1);
      expect(deployment(prod, service).spec.replicas).toBe(3);
    }
    for (const service of ["auth", "chat", "gateway"]) {
      const [d, p] = [limitsOf(dev, service), limitsOf(prod, service)];
      expect(cpu(p.cpu)).toBeGreaterThan(cpu(d.cpu));
      expect(mebibytes(p.memory)).toBeGreaterThan(mebibytes(d.memory));
    }
    expect(of(dev, "HorizontalPodAutoscaler")[0]!.spec).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
    expect(of(prod, "HorizontalPodAutoscaler")[0]!.spec).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    const reflection = (objects: Obj[]) => of(objects, "ConfigMap").find((c) => c.metadata.name.startsWith(`${name}-chat-`))?.data.GRPC_REFLECTION;
    expect([reflection(dev), reflection(prod)]).toEqual(["true", "false"]);
    expect(deployment(prod, "gateway").spec.template.spec.containers[0].image).toMatch(/^registry\.example\.com\//);
  });

  it("helm lint --strict passes and helm template renders the same objects as kustomize", async () => {
    const lint = await run(helm!, ["lint", "--strict", chart], dir);
    expect(lint).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
    expect(lint).not.toMatch(/\[(WARNING|ERROR)\]/);
    rendered.helm = parse(await run(helm!, ["template", name, chart, "--namespace", name], dir));
    checkDelivery(rendered.helm, check, binaries);
    expect(rendered.dev.length, "overlays/dev was built").toBeGreaterThan(0);
    expect(workloads(rendered.helm)).toEqual(workloads(rendered.dev));
    expect(of(rendered.helm, "Deployment").map((d) => d.spec.template.metadata.annotations["checksum/config"])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^[0-9a-f]{64}$/)]),
    );
  });

  it("helm values change what they say: no HPA, fixed replicas, pinned NetworkPolicy peers", async () => {
    const objects = parse(
      await run(helm!, ["template", name, chart, "--set", "gateway.hpa.enabled=false", "--set", "gateway.replicas=4",
        "--set", "auth.resources.limits.memory=1Gi", "--set", "networkPolicy.postgres.to[0].ipBlock.cidr=10.0.0.0/24"], dir),
    );
    for (const o of objects) expect(() => new models[`${o.apiVersion} ${o.kind}`]!.model(o).validate()).not.toThrow();
    expect(of(objects, "HorizontalPodAutoscaler")).toEqual([]);
    expect(deployment(objects, "gateway").spec.replicas).toBe(4);
    expect(limitsOf(objects, "auth").memory).toBe("1Gi");
    const authEgress = find(objects, "NetworkPolicy", `${name}-auth`).spec.egress;
    expect(authEgress).toEqual([{ ports: [{ protocol: "TCP", port: 5432 }], to: [{ ipBlock: { cidr: "10.0.0.0/24" } }] }]);
  });

  it("the README's kubectl create secret lines create exactly the Secrets and keys the pods read", async () => {
    const created = readmeSecrets(await fs.readFile(path.join(dir, "README.md"), "utf8"));
    // The dev overlay's namespace, where the README's walk-through creates them.
    expect([...created.keys()]).toEqual([`${name}-dev`]);
    const readme = created.get(`${name}-dev`)!;
    expect(rendered.dev.length && rendered.helm.length, "overlays/dev and the chart were rendered").toBeTruthy();
    for (const objects of [rendered.dev, rendered.prod, rendered.helm]) expect(referencedSecrets(objects)).toEqual(readme);
    expect([...readme.keys()].sort()).toEqual([`${name}-auth-db`, `${name}-chat-db`, `${name}-jwt-public`, `${name}-jwt-signing`]);
  });

  it.each([
    ["nats://nats.messaging:4333", 4333],
    ["nats://nats.messaging", 4222],
  ])("helm's nats.url %s reaches chat and the gateway only, and opens port %i", async (url, port) => {
    const objects = parse(await run(helm!, ["template", name, chart, "--set", `nats.url=${url}`], dir));
    checkDelivery(objects, check, binaries);
    const configMaps = new Map(of(objects, "ConfigMap").map((c) => [c.metadata.name, c.data as Record<string, string>]));
    for (const service of services) {
      const env = Object.assign({}, ...deployment(objects, service).spec.template.spec.containers[0].envFrom.map((f: { configMapRef: { name: string } }) => configMaps.get(f.configMapRef.name)));
      expect(env.NATS_URL, service).toBe(service === "auth" ? undefined : url);
    }
    expect(find(objects, "NetworkPolicy", `${name}-chat`).spec.egress).toContainEqual({ ports: [{ protocol: "TCP", port }] });
  });

  it("ships a k8s workflow and make k8s-check, at the pinned versions, that pass and catch a broken manifest", async () => {
    const workflow = await fs.readFile(path.join(dir, ".github/workflows/k8s.yml"), "utf8");
    await run(actionlint!, ["-no-color", ".github/workflows/k8s.yml"], dir);
    expect(workflow).toMatch(/^\s+run: make k8s-tools$/m);
    expect(workflow).toMatch(/^\s+run: make k8s-check$/m);
    expect(workflow).toMatch(/go-version-file: go\.mod/);
    // The versions the generated repository pins are the ones this test validated the manifests with.
    const projectMk = await fs.readFile(path.join(dir, "project.mk"), "utf8");
    expect(/^KUSTOMIZE_VERSION\s*:= (\S+)$/m.exec(projectMk)?.[1]).toBe(pins.kustomize);
    expect(/^HELM_VERSION\s*:= (\S+)$/m.exec(projectMk)?.[1]).toBe(pins.helm);
    expect(projectMk).toContain("go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)");
    expect(projectMk).toContain("go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)");

    const make = (target: string) =>
      execa("make", ["--no-print-directory", target, `KUSTOMIZE=${kustomize}`, `HELM=${helm}`], { cwd: dir, reject: false, all: true });
    expect((await make("help")).stdout).toMatch(/^\s+k8s-check\s+\S/m);
    const ok = await make("k8s-check");
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.all).toMatch(/build deploy\/k8s\/overlays\/prod$/m);
    expect(ok.all).not.toMatch(/warning:/);

    // A broken overlay and a broken chart each fail it.
    for (const [file, from, to] of [
      ["deploy/k8s/overlays/prod/kustomization.yaml", "  - ../../base\n", "  - ../../base\n  - missing.yaml\n"],
      ["deploy/helm/chart/templates/service.yaml", "  clusterIP: None\n", "  clusterIP: None\n  {{ .Values.nothing.here }}\n"],
    ] as const) {
      const target = path.join(dir, file);
      const text = await fs.readFile(target, "utf8");
      expect(text, file).toContain(from);
      await fs.writeFile(target, text.replace(from, to));
      try {
        const broken = await make("k8s-check");
        expect(broken.exitCode, `make k8s-check with a broken ${file}`).not.toBe(0);
      } finally {
        await fs.writeFile(target, text);
      }
    }
  }, 120_000);
});
