/**
 * The Pulumi program: stack config -> validated spec -> facts -> the IstioMesh component -> stack outputs.
 * Bad config fails here, before any Kubernetes resource (or the provider) is registered.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IstioMesh } from "./components/mesh";
import { CONFIG_NAMESPACE, CREDENTIALS_KEY, MeshConfigError, MeshSpec, parseMeshConfig, rawConfigFromPulumi } from "./model/config";
import { MeshState, meshFacts } from "./model/facts";

/**
 * Pulumi's SDK records a stack trace for every output of every resource (for its promise-leak report), and the
 * source maps Pulumi installs make each one costly: at 1,000 namespaces that was two thirds of the program's
 * time (see the README's Performance section). The program's own errors carry their message without a stack
 * (RunError), so the traces are dropped; set ISTIO_MESH_STACK_TRACES=1 to keep them while debugging.
 */
export function keepStackTracesShort(): void {
    if (!process.env.ISTIO_MESH_STACK_TRACES) {
        Error.stackTraceLimit = 0;
    }
}

function validate(raw: Record<string, unknown>, previous: MeshState | undefined, hasCredentials: boolean): MeshSpec {
    try {
        return parseMeshConfig(raw, previous, hasCredentials);
    } catch (e) {
        // RunError: Pulumi prints the message alone, without a stack trace.
        throw e instanceof MeshConfigError ? new pulumi.RunError(e.message) : e;
    }
}

/**
 * What the previous `up` of this stack recorded (its `meshState` output), read through a reference to the
 * stack itself: the program needs what runs now to judge in-place upgrades and to plan restarts.
 */
async function previousState(): Promise<MeshState | undefined> {
    const self = new pulumi.StackReference("previous-state", {
        name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    });
    const details = await self.getOutputDetails("meshState");
    return (details.value ?? details.secretValue) as MeshState | undefined;
}

export async function run() {
    const { raw, hasCredentials } = rawConfigFromPulumi(pulumi.runtime.allConfig());
    // Only a read of this stack's own last outputs precedes validation: bad config registers no cluster object.
    const previous = await previousState();
    const spec = validate(raw, previous, hasCredentials);
    const facts = meshFacts(spec, previous);

    const provider = new k8s.Provider("cluster", {
        kubeconfig: spec.kubernetes.kubeconfig,
        context: spec.kubernetes.context,
        renderYamlToDirectory: spec.renderDirectory,
        enableServerSideApply: true,
    });
    const mesh = new IstioMesh("mesh", {
        spec,
        facts,
        previous,
        registryCredentials: hasCredentials ? new pulumi.Config(CONFIG_NAMESPACE).requireSecret(CREDENTIALS_KEY) : undefined,
    }, { providers: { kubernetes: provider } });

    return {
        revisions: mesh.revisions,
        upgradePlan: mesh.upgradePlan,
        meshState: mesh.meshState,
        ...(spec.renderDirectory ? { renderDirectory: spec.renderDirectory } : {}),
    };
}
