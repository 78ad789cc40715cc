/**
 * A stub `kubectl` over a JSON file of cluster state, for the kubectl steps' tests: it answers the gets the steps
 * make, applies their patches (rolling the workload when its template changed: its pods are replaced, injected by the
 * revision the namespace's label resolves to, or left without a sidecar when the injector is down), records every call, and
 * fails on cue (STUB_FAIL: a regular expression over the arguments; STUB_STUCK: rollouts that never finish; STUB_HANG:
 * a proxy that never serves, "proxy", or never answers a read, "GET <path>", having written STUB_PROXY_STDERR to stderr,
 * as kubectl does while an exec credential plugin waits for a login).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { KubeObject } from "../../model/rollout";

export interface StubState {
    /** istio.io/rev label per namespace. */
    namespaces: Record<string, string | undefined>;
    objects: KubeObject[];
    /** What each label value injects ("1-31" -> "1-31@1.31.0"); a label missing here injects nothing (injector down). */
    injectors: Record<string, string>;
}

const STUB = String.raw`#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
const line = args.join(" ");
fs.appendFileSync(process.env.STUB_LOG, line + "\n");
if (process.env.STUB_FAIL && new RegExp(process.env.STUB_FAIL).test(line)) {
  process.stderr.write("The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n");
  process.exit(1);
}
const state = JSON.parse(fs.readFileSync(process.env.STUB_STATE, "utf8"));
const save = () => fs.writeFileSync(process.env.STUB_STATE, JSON.stringify(state));
let a = args.slice();
const take = (flag) => { const i = a.indexOf(flag); if (i < 0) return undefined; const v = a[i + 1]; a.splice(i, 2); return v; };
take("--context");
a = a.filter(x => !x.startsWith("--request-timeout="));
const ns = take("-n");
const all = a.includes("-A"); a = a.filter(x => x !== "-A");
const out = take("-o");
const kinds = { deployment: "Deployment", statefulset: "StatefulSet", daemonset: "DaemonSet" };
const resources = { deployments: "Deployment", statefulsets: "StatefulSet", daemonsets: "DaemonSet", replicasets: "ReplicaSet",
  jobs: "Job", cronjobs: "CronJob", pods: "Pod", poddisruptionbudgets: "PodDisruptionBudget" };
const nsObject = (n) => ({ kind: "Namespace", metadata: { name: n, labels: state.namespaces[n] ? { "istio.io/rev": state.namespaces[n] } : {} } });
if (a[0] === "proxy") {
  // kubectl proxy --unix-socket=<path>: answers GETs of API paths with the API server's JSON (/api/v1/... or
  // /apis/<group>/<version>/..., cluster-wide or under namespaces/<ns>; list items carry no kind), each logged as "GET <path>".
  const socket = a[1].replace(/^--unix-socket=/, "");
  const hangs = (what) => process.env.STUB_HANG && new RegExp(process.env.STUB_HANG).test(what);
  if (process.env.STUB_PROXY_STDERR) process.stderr.write(process.env.STUB_PROXY_STDERR + "\n");
  if (hangs("proxy")) { setInterval(() => undefined, 1000); return; }
  const bare = (o) => { const { kind, ...rest } = o; return rest; };
  const answer = (apiPath) => {
    if (process.env.STUB_FAIL && new RegExp(process.env.STUB_FAIL).test("GET " + apiPath)) {
      return [503, { kind: "Status", message: "The connection to the server 127.0.0.1:6443 was refused" }];
    }
    const rest = apiPath.replace(/^\/(api\/v1|apis\/[^/]+\/v1)\//, "").split("/");
    if (rest[0] === "namespaces" && rest.length <= 2) {
      if (rest.length === 1) return [200, { kind: "NamespaceList", items: Object.keys(state.namespaces).map(n => bare(nsObject(n))) }];
      if (!(rest[1] in state.namespaces)) return [404, { kind: "Status", message: 'namespaces "' + rest[1] + '" not found' }];
      return [200, nsObject(rest[1])];
    }
    const [scope, resource] = rest[0] === "namespaces" ? [rest[1], rest[2]] : [undefined, rest[0]];
    if (!resources[resource]) return [404, { kind: "Status", message: "the server could not find the requested resource" }];
    return [200, { kind: resources[resource] + "List", items: state.objects.filter(o => o.kind === resources[resource] && (!scope || o.metadata.namespace === scope)).map(bare) }];
  };
  require("http").createServer((req, res) => {
    fs.appendFileSync(process.env.STUB_LOG, "GET " + req.url + "\n");
    if (hangs("GET " + req.url)) return;
    const [status, body] = answer(req.url);
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }).listen(socket, () => process.stdout.write("Starting to serve on " + socket + "\n"));
  return;
}
if (a[0] === "get" && a[1] === "namespace") {
  if (!(a[2] in state.namespaces)) { process.stderr.write('Error from server (NotFound): namespaces "' + a[2] + '" not found\n'); process.exit(1); }
  process.stdout.write(JSON.stringify(nsObject(a[2]))); process.exit(0);
}
if (a[0] === "get" && a[1] === "namespaces") {
  process.stdout.write(JSON.stringify({ items: Object.keys(state.namespaces).map(nsObject) })); process.exit(0);
}
if (a[0] === "get") {
  // As kubectl lists several kinds: kind by kind, in the order named.
  const items = a[1].split(",").flatMap(r => state.objects.filter(o => o.kind === resources[r] && (all || o.metadata.namespace === ns)));
  process.stdout.write(JSON.stringify({ kind: "List", items })); process.exit(0);
}
if (a[0] === "patch") {
  const [k, name] = a[1].split("/");
  const w = state.objects.find(o => o.kind === kinds[k] && o.metadata.name === name && o.metadata.namespace === ns);
  if (!w) { process.stderr.write("not found\n"); process.exit(1); }
  const patch = JSON.parse(take("-p"));
  const meta = w.spec.template.metadata = w.spec.template.metadata || {};
  const before = JSON.stringify(meta.annotations || {});
  meta.annotations = Object.assign({}, meta.annotations, patch.spec.template.metadata.annotations);
  // As the API server: a patch that leaves the template as it was changes nothing, so nothing rolls.
  if (JSON.stringify(meta.annotations) === before) { process.stdout.write(a[1] + " patched (no change)\n"); process.exit(0); }
  w.metadata.generation = (w.metadata.generation || 1) + 1;
  const stuck = process.env.STUB_STUCK && new RegExp(process.env.STUB_STUCK).test(ns + "/" + a[1]);
  w.status.observedGeneration = w.metadata.generation;
  if (!stuck) {
    const owner = w.kind === "Deployment" ? name + "-rs" : name;
    const old = state.objects.filter(o => o.kind === "Pod" && o.metadata.namespace === ns && (o.metadata.ownerReferences || []).some(r => r.name === owner));
    state.objects = state.objects.filter(o => !old.includes(o));
    const inj = state.injectors[state.namespaces[ns]];
    old.forEach((p, i) => {
      const fresh = JSON.parse(JSON.stringify(p));
      fresh.metadata.name = name + "-g" + w.metadata.generation + "-" + i;
      if (inj) {
        const [rev, ver] = inj.split("@");
        fresh.metadata.annotations = { "sidecar.istio.io/status": JSON.stringify({ revision: rev }) };
        fresh.spec.initContainers = [{ name: "istio-proxy", image: "registry.example.com/istio/proxyv2:" + ver }];
      } else {
        delete fresh.metadata.annotations;
        fresh.spec.initContainers = [];
      }
      state.objects.push(fresh);
    });
  } else if (w.kind !== "DaemonSet") {
    w.status.updatedReplicas = 0;
  }
  save();
  process.stdout.write(a[1] + " patched\n"); process.exit(0);
}
if (a[0] === "rollout" && a[1] === "status") {
  if (process.env.STUB_STUCK && new RegExp(process.env.STUB_STUCK).test(ns + "/" + a[2])) {
    process.stderr.write("error: timed out waiting for the condition\n"); process.exit(1);
  }
  process.stdout.write("successfully rolled out\n"); process.exit(0);
}
if (a[0] === "label") { process.stdout.write("labelled\n"); process.exit(0); }
process.stderr.write("stub kubectl: unexpected call: " + line + "\n");
process.exit(3);
`;

export class StubCluster {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-stub-"));
    private readonly stateFile = path.join(this.dir, "state.json");
    private readonly logFile = path.join(this.dir, "calls.log");

    constructor(state: StubState) {
        fs.writeFileSync(path.join(this.dir, "kubectl"), STUB, { mode: 0o755 });
        this.write(state);
        fs.writeFileSync(this.logFile, "");
    }

    write(state: StubState): void {
        fs.writeFileSync(this.stateFile, JSON.stringify(state));
    }

    get state(): StubState {
        return JSON.parse(fs.readFileSync(this.stateFile, "utf8"));
    }

    /** Calls recorded since the last `clearCalls`. */
    get calls(): string[] {
        return fs.readFileSync(this.logFile, "utf8").split("\n").filter(Boolean);
    }

    /** The calls without kubectl's global flags (`--context`, `--request-timeout`): what each did. */
    get commands(): string[] {
        return this.calls.map(c => c.replace(/^(--context \S+ )?--request-timeout=\S+ /, ""));
    }

    clearCalls(): void {
        fs.writeFileSync(this.logFile, "");
    }

    /** Environment that puts the stub first on PATH. */
    env(extra: Record<string, string> = {}): Record<string, string> {
        return { PATH: `${this.dir}:${path.dirname(process.execPath)}:/usr/bin:/bin`, STUB_STATE: this.stateFile, STUB_LOG: this.logFile, ...extra };
    }

    /** Runs a command with the stub as kubectl, `input` on its stdin. */
    exec(argv: string[], extra: Record<string, string> = {}, cwd?: string, input = ""): { code: number | null; stdout: string; stderr: string } {
        const r = spawnSync(argv[0], argv.slice(1), { env: this.env(extra), encoding: "utf8", cwd, input });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    dispose(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
