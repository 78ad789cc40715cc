import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CrdBundle, GATEWAY_API_MODULE, gatewayApiBundle, gatewayApiManifestDir, GatewayApiChannel } from "../istio";
import { gatewayApiCrdFile, GATEWAY_API_CRDS_APPLY_SCRIPT } from "./kubectl";
import { childOptions } from "./options";
import { projectRoot, writeWhole } from "./projectFiles";
import { TYPE } from "./types";

export interface GatewayApiCrdsArgs {
    /** The Gateway API release. */
    version: string;
    channel: GatewayApiChannel;
    /** Its manifests (readGatewayApiBundle). */
    bundle: CrdBundle;
    /**
     * The kubectl environment of a live stack. Set: one `gateway-api-crds` step applies them server-side (its inputs
     * are the release, channel and digest). Unset (render mode): they are written to the manifests, kept on delete.
     */
    kubectl?: Record<string, pulumi.Input<string>>;
}

/** The Go module cache: GOMODCACHE, else the first GOPATH's pkg/mod, else ~/go/pkg/mod (Go's own defaults). */
export function goModuleCache(env: NodeJS.ProcessEnv = process.env): string {
    return env.GOMODCACHE || path.join(env.GOPATH?.split(path.delimiter)[0] || path.join(os.homedir(), "go"), "pkg", "mod");
}

/**
 * Reads a release's manifests from the Go module cache, where `go mod download` (or the offline toolchain) put the
 * `sigs.k8s.io/gateway-api` module. Throws an error naming the directory and the command that fetches them.
 */
export function readGatewayApiBundle(version: string, channel: GatewayApiChannel, moduleCache = goModuleCache()): CrdBundle {
    const dir = gatewayApiManifestDir(moduleCache, version, channel);
    if (!fs.existsSync(dir)) {
        throw new Error(`the manifests of Gateway API ${version} (${channel} channel, istio-mesh:gatewayApi.version) are not on this machine: ` +
            `looked in ${dir}. Fetch the module that holds them: go mod download ${GATEWAY_API_MODULE}@v${version} ` +
            "(from the Go module proxy or your mirror, GOPROXY; offline: npm run toolchain), then run the preview again; nothing was applied");
    }
    const files = fs.readdirSync(dir).sort().map(name => ({ name, text: fs.readFileSync(path.join(dir, name), "utf8") }));
    return gatewayApiBundle(files, dir);
}

/**
 * The Gateway API CRDs of one release: applied before any control plane (istiod's Gateway controller reads them),
 * raised with the Istio CRDs, never deleted (that would delete every Gateway and route), never lowered (the program
 * refuses a lower release: model/gatewayApi.ts).
 */
export class GatewayApiCrds extends pulumi.ComponentResource {
    /** What the control planes wait for: the step (live) or the objects (render mode). */
    public readonly ready: pulumi.Resource;

    constructor(name: string, args: GatewayApiCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.gatewayApiCrds, name, {}, opts);
        if (!args.kubectl) {
            this.ready = new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { yaml: args.bundle.yaml }, { ...childOptions(this, opts), retainOnDelete: true });
            this.registerOutputs({});
            return;
        }
        const file = path.join(projectRoot(), gatewayApiCrdFile(args.version, args.channel, args.bundle.digest));
        if (!fs.existsSync(file)) {
            writeWhole(file, args.bundle.yaml);
        }
        // Release, channel and digest are the step's inputs: an upgrade's preview reads "GATEWAY_API_VERSION 1.5.1 => 1.6.0".
        // No delete command: removing the step (gatewayApi.version: unmanaged) leaves the CRDs in the cluster.
        this.ready = new command.local.Command(name, {
            create: GATEWAY_API_CRDS_APPLY_SCRIPT,
            update: GATEWAY_API_CRDS_APPLY_SCRIPT,
            interpreter: ["/bin/bash", "-c"],
            environment: {
                ...args.kubectl,
                GATEWAY_API_VERSION: args.version,
                GATEWAY_API_CHANNEL: args.channel,
                CRDS_DIGEST: args.bundle.digest,
                CRDS: args.bundle.names.join(" "),
            },
        }, childOptions(this, opts));
        this.registerOutputs({});
    }
}
