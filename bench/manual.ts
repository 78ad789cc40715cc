/**
 * The manual paths `npm run bench` compares each `pulumi up` with, as a careful operator runs them against the same
 * local cluster (bench/preview.ts), and the reference programs for a re-run. Script builders are pure.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";

/**
 * The runbook's loop (shared/runbooks/canary-revision-runbook.md, "Migrate each namespace"): per namespace, the legacy
 * label removed and the revision label set (two `kubectl label` calls), `kubectl rollout restart deployment`, then
 * `kubectl rollout status` of each Deployment. `parallel` namespaces at a time (xargs -P: the next starts as soon as
 * one is done), as an operator parallelises the loop. Namespace names on stdin, one a line.
 */
export function runbookScript(revision: string, parallel: number, timeout = "300s"): string {
    return `set -euo pipefail
migrate() {
  ns=$1
  kubectl label namespace "$ns" istio-injection- --overwrite >/dev/null
  kubectl label namespace "$ns" istio.io/rev=${revision} --overwrite >/dev/null
  kubectl rollout restart deployment -n "$ns" >/dev/null
  for deploy in $(kubectl get deploy -n "$ns" -o name); do
    kubectl rollout status "$deploy" -n "$ns" --timeout=${timeout} >/dev/null
  done
}
export -f migrate
xargs -r -P ${parallel} -I{} bash -c 'migrate "$1"' _ {}
`;
}

/** The objects of a manifest (an istioctl render) of the kinds `kinds` (`except`: all but those), as YAML documents. */
export function objectsOf(manifest: string, kinds: readonly string[], except = false): string {
    return yaml.loadAll(manifest).filter((o: any) => o?.kind && kinds.includes(o.kind) !== except).map(o => yaml.dump(o)).join("---\n");
}

/**
 * A JavaScript Pulumi project with the project's node_modules that imports both SDKs and registers `count` empty
 * component resources (no provider, no input): the reference for a re-run of a stack of that many resources, what the
 * CLI and the engine cost for them alone. `count` 0: the floor of any preview.
 */
export function referenceProject(dir: string, nodeModules: string, count: number): void {
    fs.mkdirSync(path.join(dir, ".state"), { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${path.basename(dir)}\nmain: index.js\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`);
    fs.writeFileSync(path.join(dir, "index.js"), 'const k8s = require("@pulumi/kubernetes");\nconst command = require("@pulumi/command");\nconst pulumi = require("@pulumi/pulumi");\n' +
        `for (let i = 0; i < ${count}; i++) {\n    new pulumi.ComponentResource("bench:index:Empty", \`empty-\${i}\`);\n}\n` +
        "exports.sdks = [typeof k8s, typeof command];\n");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: path.basename(dir), main: "index.js" }));
    fs.symlinkSync(nodeModules, path.join(dir, "node_modules"));
}

/** Total bytes and count of the files under `dir` (0 when it does not exist). */
export function diskUse(dir: string): { bytes: number; files: number } {
    if (!fs.existsSync(dir)) {
        return { bytes: 0, files: 0 };
    }
    return fs.readdirSync(dir, { withFileTypes: true }).reduce((acc, e) => {
        const full = path.join(dir, e.name);
        const sub = e.isDirectory() ? diskUse(full) : e.isFile() ? { bytes: fs.statSync(full).size, files: 1 } : { bytes: 0, files: 0 };
        return { bytes: acc.bytes + sub.bytes, files: acc.files + sub.files };
    }, { bytes: 0, files: 0 });
}
