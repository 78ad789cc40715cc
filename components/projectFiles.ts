/**
 * The files the program writes under the project's root (`.istio-mesh/`, git-ignored), where the kubectl steps read
 * them: the CRD bundles (crdFiles.ts) and the cluster access of the latest run (for the steps that run at delete time).
 */
import * as fs from "fs";
import * as path from "path";
import { ClusterAccess, clusterAccessFile } from "./kubectl";

/**
 * The project's root (where Pulumi.yaml is), where the steps read the program's files (components/kubectl.ts
 * TO_PROJECT_ROOT looks for it the same way): found upwards, as the compiled program runs from bin/components.
 */
export function projectRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml")) && path.dirname(dir) !== dir) {
        dir = path.dirname(dir);
    }
    return dir;
}

/**
 * Where this package's files are, from the project's root, with a trailing "/": "" when the project is this
 * repository, "node_modules/istio-mesh/" in a program of your own that installed it (README, "As a library"). The
 * steps' commands run from the project's root (TO_PROJECT_ROOT); a relative path keeps them the same on every machine.
 */
export function packageDir(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "tools", "build", "step.js")) && path.dirname(dir) !== dir) {
        dir = path.dirname(dir);
    }
    const relative = path.relative(projectRoot(), dir).split(path.sep).join("/");
    return relative === "" ? "" : `${relative}/`;
}

/** Writes `text` to `file` whole under a temporary name, then renames it: a reader never sees half a file. */
export function writeWhole(file: string, text: string, mode?: number): void {
    fs.mkdirSync(path.dirname(file), { recursive: true, ...(mode ? { mode: 0o700 } : {}) });
    fs.writeFileSync(`${file}.${process.pid}`, text, mode ? { mode } : {});
    fs.renameSync(`${file}.${process.pid}`, file);
}

/**
 * Records the cluster access this run uses (the kubeconfig path, the ambient KUBECONFIG when none is configured, and
 * the context) where the steps that run at delete time read it (kubectl.ts CURRENT_ACCESS). Readable by its owner only:
 * the path and context may have been set as secrets.
 */
export function writeClusterAccess(stack: string, access: ClusterAccess, ambientKubeconfig = process.env.KUBECONFIG): void {
    writeWhole(path.join(projectRoot(), clusterAccessFile(stack)), `${access.kubeconfig ?? ambientKubeconfig ?? ""}\n${access.context ?? ""}\n`, 0o600);
}
