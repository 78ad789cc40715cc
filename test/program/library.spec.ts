/**
 * The package's entry (lib/index.ts) as a program of your own uses it: its own provider and a config object passed to
 * meshArgs, under Pulumi's mocks. The same config gives the same mesh as this repository's program; refusals come
 * before anything is registered; secrets passed as options stay secrets.
 */
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RawConfig } from "../../model/config";
import { packageDir } from "../../components/projectFiles";
import { ROLLOUT_STEP_COMMAND } from "../../components/rolloutStep";
import { renderedBase, runProgram, TYPES } from "../support/mocks";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const settings = require("@pulumi/pulumi/runtime/settings");

interface Registered { type: string; name: string; inputs: any }

/** A program of your own: its provider, `meshArgs(config, options)`, IstioMesh; what it registered. */
async function ownProgram(config: RawConfig, options: import("../../lib").MeshArgsOptions = {}, name = "istio"): Promise<Registered[]> {
    const resources: Registered[] = [];
    await pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs) {
            resources.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            // No earlier `up`: the stack has no outputs yet. The base chart renders as the program's tests render it.
            return args.token === "pulumi:pulumi:readStackOutputs" ? { name: args.inputs.name, outputs: {} }
                : args.token === "kubernetes:helm:template" ? { result: renderedBase(JSON.parse(args.inputs.jsonOpts)) } : {};
        },
    }, "istio-mesh", "test", false, "organization");
    pulumi.runtime.setAllConfig({});
    const { IstioMesh, meshArgs } = await import("../../lib");
    try {
        const provider = new k8s.Provider("platform", { enableServerSideApply: true });
        const args = await meshArgs(config, options, () => ({ namespaceLabels: {}, objects: [] }));
        const mesh = new IstioMesh(name, args, { providers: { kubernetes: provider } });
        await mesh.namespacesBound;
    } finally {
        await settings.waitForRPCs();
    }
    return resources;
}

const CONFIG: RawConfig = {
    revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "default", cart: "1-30" },
    gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "default", awaitLoadBalancer: false }], cni: { enabled: true },
};

describe("the library: IstioMesh and meshArgs in a program of your own", () => {
    it("a config object gives the mesh this repository's program registers for the same stack config", async () => {
        const own = await ownProgram(CONFIG, {}, "mesh");
        const program = await runProgram(CONFIG);
        const names = (rs: Registered[]) => rs.filter(r => !r.type.startsWith("pulumi:providers:")).map(r => `${r.type}::${r.name}`).sort();
        assert.ok(own.some(r => r.type === TYPES.namespacePatch && r.name === "namespace-shop"), `the namespaces are bound: ${names(own).join(", ")}`);
        assert.deepStrictEqual(names(own), names(program.resources));
        const inputs = (rs: Registered[]) => Object.fromEntries(rs.filter(r => !r.type.startsWith("pulumi:providers:")).map(r => [`${r.type}::${r.name}`, r.inputs]));
        assert.deepStrictEqual(inputs(own), inputs(program.resources));
        assert.deepStrictEqual(own.filter(r => r.type === "pulumi:providers:kubernetes").map(r => r.name), ["platform"], "only the program's own provider");
    });

    it("refuses a config the mesh cannot run before anything but the provider is registered, naming the key, the value and the fix", async () => {
        let registered: Registered[] = [];
        await assert.rejects(ownProgram({ ...CONFIG, revisions: [{ version: "banana" }] }).catch(e => {
            registered = e.registered ?? [];
            throw e;
        }), (e: Error) => {
            assert.ok(pulumi.RunError.isInstance(e), "a RunError: Pulumi prints its message alone");
            assert.match(e.message, /istio-mesh:revisions\[0\]\.version = "banana": .*Fix: /s);
            return true;
        });
        assert.deepStrictEqual(registered, []);
    });

    it("registry credentials passed as an option pass validation and reach the pull secrets as a secret", async () => {
        const credentials = "{\"auths\":{\"registry.example.com\":{\"auth\":\"dTpw\"}}}";
        const config = { ...CONFIG, registry: { hub: "registry.example.com/istio" } };
        const own = await ownProgram(config, { registryCredentials: credentials });
        const secrets = own.filter(r => r.type === TYPES.secret);
        assert.ok(secrets.length > 0, "pull secrets registered");
        for (const s of secrets) {
            assert.strictEqual(s.inputs.type, "kubernetes.io/dockerconfigjson");
            // The engine receives it as a secret: the value inside Pulumi's secret envelope.
            assert.deepStrictEqual(s.inputs.stringData, { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: { ".dockerconfigjson": credentials } });
        }
    });

    it("in this repository the steps run from the project's root (an installed package's run from node_modules/istio-mesh/)", () => {
        assert.strictEqual(packageDir(), "");
        assert.match(ROLLOUT_STEP_COMMAND, /&& exec node tools\/build\/step\.js components\/rolloutStep$/);
    });
});
