/**
 * The Pulumi program: stack config -> validated spec -> facts -> the IstioMesh component -> stack outputs.
 * Bad config fails here, before any Kubernetes resource (or the provider) is registered.
 */
import * as fs from "fs";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CrdBundle } from "./istio";
import { readGatewayApiBundle } from "./components/gatewayApiCrds";
import { clusterEnvironment, Kubectl, observeAsync } from "./components/kubectl";
import { GateCredentials } from "./components/healthGate";
import { IstioMesh, IstioMeshArgs } from "./components/mesh";
import { writeClusterAccess } from "./components/projectFiles";
import {
    CONFIG_NAMESPACE, ConfigProblem, CREDENTIALS, CREDENTIALS_KEY, Disk, formatAdvisories, formatProblems, MeshConfigError, MeshSpec, parseMeshConfig,
    RawConfig, rawConfigFromPulumi,
} from "./model/config";
import { GATE_SECRET, GATE_SECRET_KEYS } from "./model/gate";
import { crdDowngrade, describeStep, MeshFacts, MeshState, meshFacts, planUpgrade } from "./model/facts";
import { withLegacyInjection } from "./model/legacyInjection";
import { gatewayApiCrdsProblem } from "./model/gatewayApi";
import { retirementProblem, retiringRevisions, revisionUses, targetResolver } from "./model/retirement";
import { Observation } from "./model/rollout";
import { gateMessage, PromotionSpec, promotionGate, qualifiedSource, recordVersionsRun, SourceOutputs, StackName } from "./model/promotion";

/**
 * An error that is not the program's own (a RunError or ResourceError that says what to fix), as a bug of the
 * program: said to be one, with its stack, which Pulumi prints for any error but a RunError.
 */
export function internalError(e: unknown): Error {
    const error = new Error(`istio-mesh: internal error (a bug in istio-mesh, please report it): ${String(e)}`);
    const frames = e instanceof Error ? (e.stack ?? "").split("\n").filter(line => /^\s+at /.test(line)) : [];
    error.stack = [error.message, ...(frames.length > 0 ? frames : ["    (no stack recorded)"])].join("\n");
    return error;
}

/** The disk the config checks look at: the engine runs the program in the project directory. */
export function localDisk(): Disk {
    return {
        projectDir: process.cwd(),
        realpath: p => {
            try {
                return fs.realpathSync(p);
            } catch {
                return undefined;
            }
        },
        isDirectory: p => fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false,
        readText: p => (fs.statSync(p, { throwIfNoEntry: false })?.isFile() ? fs.readFileSync(p, "utf8") : undefined),
    };
}

/**
 * Validates config and warns of each advisory; a problem (or advisory) under a key set with --secret shows
 * "[secret]", never the value.
 */
function validate(raw: Record<string, unknown>, previous: MeshState | undefined, hasCredentials: boolean, secretKeys: readonly string[]): MeshSpec {
    const secret = (key: string) => secretKeys.some(k => new RegExp(`^${CONFIG_NAMESPACE}:${k}([.[]|$)`).test(key));
    const shown = (problems: readonly ConfigProblem[]) => problems.map(p => (secret(p.key) ? { ...p, value: "[secret]" } : p));
    let spec: MeshSpec;
    try {
        spec = parseMeshConfig(raw, previous, hasCredentials, localDisk());
    } catch (e) {
        if (!(e instanceof MeshConfigError)) {
            throw e;
        }
        // RunError: Pulumi prints the message alone, without a stack trace.
        throw new pulumi.RunError(formatProblems(shown(e.problems)));
    }
    if (spec.advisories.length > 0) {
        pulumi.log.warn(formatAdvisories(shown(spec.advisories)));
    }
    return spec;
}

/**
 * The outputs of a stack of this backend, read with the engine's `readStackOutputs` invoke rather than a
 * StackReference resource: an unknown stack then rejects here, where the program can name the config key, instead
 * of failing the whole preview on a read resource (and no read shows in the preview). Secrets come back plain:
 * nothing read here is exported as is.
 */
async function readStackOutputs(name: string): Promise<Record<string, unknown>> {
    const result = await pulumi.runtime.invoke("pulumi:pulumi:readStackOutputs", { name });
    return (result?.outputs ?? {}) as Record<string, unknown>;
}

/**
 * What the previous `up` of this stack recorded (its `meshState` output), read from the stack itself: the program
 * needs what runs now to judge in-place upgrades and to plan restarts.
 */
async function previousState(): Promise<MeshState | undefined> {
    const outputs = await readStackOutputs(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    return outputs.meshState as MeshState | undefined;
}

/**
 * The `meshState` and `promotion` outputs of the stack this one is promoted from. A source that cannot be read
 * is an error naming the key, never an empty source: the gate must not pass because it saw nothing.
 */
async function promotionSource(promotion: PromotionSpec, self: StackName): Promise<SourceOutputs> {
    const name = qualifiedSource(promotion.from, self);
    if (name === `${self.organization}/${self.project}/${self.stack}`) {
        return {}; // promotionGate reports the self-reference
    }
    let outputs: Record<string, unknown>;
    try {
        outputs = await readStackOutputs(name);
    } catch (e) {
        const reason = (e instanceof Error ? e.message : String(e)).split("\n")[0].replace(/^invocation of \S+ returned an error: /, "");
        throw new pulumi.RunError(formatProblems([{
            key: `${CONFIG_NAMESPACE}:promotion.from`, value: promotion.from,
            message: `stack ${name} could not be read (${reason})`,
            fix: "name an existing stack of this backend as <org>/<project>/<stack> (see `pulumi stack ls --all`), or remove promotion",
        }]));
    }
    return { meshState: outputs.meshState as MeshState | undefined, promotion: outputs.promotion as SourceOutputs["promotion"] };
}

/** This run's facts, with the start time of each Istio version carried forward into the recorded state. */
function factsAt(spec: MeshSpec, previous: MeshState | undefined, now: Date): MeshFacts {
    const facts = meshFacts(spec, previous);
    return { ...facts, state: { ...facts.state, versionsRun: recordVersionsRun(previous, facts.state, now) } };
}

/**
 * What the bound namespaces run now, read with kubectl from the provider's cluster: the restart decision's input.
 * None in render mode. A failure stops the program: no restart is decided blind.
 */
export async function observeCluster(spec: MeshSpec, clusterWide: boolean): Promise<Observation | undefined> {
    if (spec.renderDirectory) {
        return undefined;
    }
    try {
        return await observeAsync(new Kubectl(clusterEnvironment(spec.kubernetes)), [...spec.namespaces.map(n => n.name), ...(spec.ambient?.namespaces ?? [])],
            clusterWide, spec.ambient ? spec.istioNamespace : undefined);
    } catch (e) {
        throw new pulumi.RunError(`istio-mesh: reading what the cluster runs failed, so no restart can be decided and no retirement judged: ` +
            `${e instanceof Error ? e.message : e}\nNothing was applied. Check istio-mesh:kubernetes (kubeconfig, context) and that kubectl reaches the cluster.`);
    }
}

/**
 * Refuses, before anything is registered, a step that retires a revision some pod of the cluster still uses (model/
 * retirement.ts): the preview fails as the `up` would, with nothing applied. Render mode reads no cluster.
 */
function refuseRetirementInUse(retiring: readonly string[], spec: MeshSpec, previous: MeshState | undefined, observation: Observation | undefined): void {
    if (retiring.length === 0 || !observation) {
        return;
    }
    if (!observation.cluster) {
        throw new Error("the cluster-wide read a retirement is judged by was not made");
    }
    const problem = retirementProblem(revisionUses(retiring, targetResolver(spec, previous), observation.cluster), previous!);
    if (problem) {
        throw new pulumi.RunError(formatProblems([problem]).replace("invalid istio-mesh stack config", "istio-mesh refuses this step"));
    }
}

/** The health gate's Prometheus credentials, read as secrets (validation refused them in plain text). */
function gateCredentials(raw: Record<string, unknown>): GateCredentials {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const secret = (key: string) => (raw[key] === GATE_SECRET.secret ? { value: config.requireSecret(key) } : undefined);
    const token = secret(GATE_SECRET_KEYS.bearerToken);
    const headers = secret(GATE_SECRET_KEYS.headers);
    return { ...(token ? { bearerToken: token.value } : {}), ...(headers ? { headers: headers.value } : {}) };
}

// Which config keys were set with --secret: the SDK knows, but exports the check only internally.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(fullKey: string): boolean };

type ObserveNamespaces = (spec: MeshSpec, clusterWide: boolean) => Promise<Observation | undefined> | Observation | undefined;

/**
 * A mesh's config as the program reads it from the stack's config, or as a program of your own passes it (meshArgs).
 */
interface MeshSource {
    raw: RawConfig;
    /** The secret `registryCredentials` is set (raw marks it, never its value). */
    hasCredentials: boolean;
    /** The config keys set as secrets: a problem under one shows "[secret]", never the value. */
    secretKeys: readonly string[];
    registryCredentials?: pulumi.Input<string>;
    gateCredentials?: GateCredentials;
}

/** The Gateway API manifests the config names, read before anything is registered (a missing release fails the preview). */
function gatewayApiManifests(spec: MeshSpec): CrdBundle | undefined {
    const { crds } = spec.gatewayApi;
    try {
        return crds && readGatewayApiBundle(crds.version, crds.channel);
    } catch (e) {
        throw new pulumi.RunError(`istio-mesh: ${(e as Error).message}`);
    }
}

/** What is known before the cluster is read: the validated spec and its facts, past every check of recorded state. */
interface CheckedMesh {
    spec: MeshSpec;
    facts: MeshFacts;
    previous?: MeshState;
    gatewayApiBundle?: CrdBundle;
}

/**
 * The config validated against what the previous `up` recorded, the CRD downgrade and the promotion gate checked.
 * Only reads of stack outputs (this stack's last state, the promotion source's) precede validation: bad config
 * registers no cluster object.
 */
async function checkMesh(source: MeshSource): Promise<CheckedMesh> {
    const previous = await previousState();
    const now = new Date();
    const spec = validate(source.raw, previous, source.hasCredentials, source.secretKeys);
    const facts = factsAt(spec, previous, now);
    const istio = process.env.ISTIO_MESH_ALLOW_CRD_DOWNGRADE === "1" ? undefined : crdDowngrade(previous, facts);
    const gatewayApi = gatewayApiCrdsProblem(previous, spec.gatewayApi.crds);
    const downgrade = [...(istio ? [{ ...istio, key: `${CONFIG_NAMESPACE}:${istio.key}` }] : []), ...(gatewayApi ? [gatewayApi] : [])];
    if (downgrade.length > 0) {
        throw new pulumi.RunError(formatProblems(downgrade));
    }
    const gatewayApiBundle = gatewayApiManifests(spec);
    const self = { organization: pulumi.getOrganization(), project: pulumi.getProject(), stack: pulumi.getStack() };
    const { promotion } = spec;
    if (promotion) {
        const source = await promotionSource(promotion, self);
        const gate = promotionGate({ promotion, self, source, spec, plan: planUpgrade(previous, facts), state: facts.state, now });
        if (gate.problems.length > 0) {
            throw new pulumi.RunError(gateMessage(gate));
        }
    }
    return { spec, facts, previous, gatewayApiBundle };
}

/**
 * IstioMesh's args: the cluster read (what the bound namespaces run), a retirement refused while some pod uses the
 * revision, and the cluster access the steps read at delete time recorded. Nothing that changes the cluster is
 * registered before this succeeds.
 */
async function meshInputs({ spec, facts, previous, gatewayApiBundle }: CheckedMesh, source: MeshSource, observeNamespaces: ObserveNamespaces): Promise<IstioMeshArgs> {
    const retiring = retiringRevisions(previous, spec);
    const observation = await observeNamespaces(spec, retiring.length > 0);
    refuseRetirementInUse(retiring, spec, previous, observation);
    if (!spec.renderDirectory) {
        writeClusterAccess(pulumi.getStack(), spec.kubernetes);
    }
    return {
        spec,
        facts: withLegacyInjection(facts, previous, observation?.namespaceInjection),
        previous,
        observation,
        secretCluster: source.secretKeys.includes("kubernetes"),
        registryCredentials: source.registryCredentials,
        gateCredentials: spec.healthGate ? source.gateCredentials : undefined,
        gatewayApiBundle,
    };
}

/** An error that is not the program's own (a RunError or ResourceError that says what to fix) as an internal error. */
function ownOrInternal(e: unknown): unknown {
    return pulumi.RunError.isInstance(e) || pulumi.ResourceError.isInstance(e) ? e : internalError(e);
}

/** What a program of your own passes to meshArgs besides the config object: the values that must stay secret. */
export interface MeshArgsOptions {
    /**
     * Registry credentials, a dockerconfigjson, for the pull secret `registry.pullSecretName` (the stack config's
     * secret `registryCredentials`). Made secret if it is not. Default: none.
     */
    registryCredentials?: pulumi.Input<string>;
    /** The health gate's Prometheus credentials (the stack config's secret `healthGate.prometheus` keys). Default: none. */
    gateCredentials?: { bearerToken?: pulumi.Input<string>; headers?: pulumi.Input<string> };
}

/**
 * IstioMesh's args from a config object of your own, for a Pulumi program that is not this one (README, "As a
 * library"): `config` has the stack config's keys without the `istio-mesh:` prefix (RawConfig, documented in the
 * README's config reference). As the program does, it reads what this stack's last `up` recorded (the stack output
 * `meshState`, which your program must export: IstioMesh's `meshState`), validates the config against it, checks
 * the CRD downgrade and the promotion gate, reads what the bound namespaces run from `kubernetes` (the same cluster
 * as your provider), and refuses a retirement still in use: each refusal a RunError naming the key, the value and
 * the fix, before anything is registered.
 */
export async function meshArgs(config: RawConfig, options: MeshArgsOptions = {}, observeNamespaces: ObserveNamespaces = observeCluster): Promise<IstioMeshArgs> {
    const secret = (value: pulumi.Input<string> | undefined) => (value === undefined ? undefined : pulumi.secret(value));
    const token = secret(options.gateCredentials?.bearerToken);
    const headers = secret(options.gateCredentials?.headers);
    const source: MeshSource = {
        // The secrets are marked as stack config marks them: their values never reach validation.
        raw: {
            ...config,
            ...(options.registryCredentials !== undefined ? { [CREDENTIALS_KEY]: CREDENTIALS.secret } : {}),
            ...(token ? { [GATE_SECRET_KEYS.bearerToken]: GATE_SECRET.secret } : {}),
            ...(headers ? { [GATE_SECRET_KEYS.headers]: GATE_SECRET.secret } : {}),
        },
        hasCredentials: options.registryCredentials !== undefined,
        secretKeys: [],
        registryCredentials: secret(options.registryCredentials),
        gateCredentials: { ...(token ? { bearerToken: token } : {}), ...(headers ? { headers } : {}) },
    };
    try {
        return await meshInputs(await checkMesh(source), source, observeNamespaces);
    } catch (e) {
        throw ownOrInternal(e);
    }
}

/**
 * The program; `observeNamespaces` reads the cluster (tests pass what it should see). An error that is not the
 * program's own is reported as an internal error.
 */
export async function run(observeNamespaces: ObserveNamespaces = observeCluster) {
    try {
        return await mesh(observeNamespaces);
    } catch (e) {
        throw ownOrInternal(e);
    }
}

async function mesh(observeNamespaces: ObserveNamespaces) {
    const { raw, hasCredentials, secretKeys } = rawConfigFromPulumi(pulumi.runtime.allConfig(), isConfigSecret);
    const source: MeshSource = {
        raw, hasCredentials, secretKeys,
        registryCredentials: hasCredentials ? new pulumi.Config(CONFIG_NAMESPACE).requireSecret(CREDENTIALS_KEY) : undefined,
        gateCredentials: gateCredentials(raw),
    };
    const checked = await checkMesh(source);
    const { spec } = checked;
    // A kubeconfig (or context) set with --secret stays secret in the provider's state and in the recorded state.
    const secretCluster = secretKeys.includes("kubernetes");
    const keepSecret = <T>(value: T) => (secretCluster && value !== undefined ? pulumi.secret(value) : value);
    const providerArgs = (adopt: boolean): k8s.ProviderArgs => ({
        kubeconfig: keepSecret(spec.kubernetes.kubeconfig),
        context: keepSecret(spec.kubernetes.context),
        renderYamlToDirectory: spec.renderDirectory,
        enableServerSideApply: true,
        // Pinned from config, never from the SDK's PULUMI_K8S_* fallbacks: an ambient variable would change the
        // provider's inputs, so a later run without it would show the provider as updated.
        upsertExistingObjects: adopt,
        enablePatchForce: adopt,
    });
    const provider = new k8s.Provider("cluster", providerArgs(spec.kubernetes.adoptExisting));
    // The users' own Gateways (gatewayApi manifests) are adopted when they exist already: through a provider of their own.
    const adoptProvider = spec.gatewayApi.gateways.some(g => g.manifest) && !spec.kubernetes.adoptExisting
        ? new k8s.Provider("cluster-adopt", providerArgs(true)) : provider;
    // The cluster is read while the engine starts the provider.
    const mesh = new IstioMesh("mesh", { ...await meshInputs(checked, source, observeNamespaces), adoptProvider }, { providers: { kubernetes: provider } });

    // The step in upgrade terms, once, where a reviewer reads the preview (see stackOutputs for why not an output).
    pulumi.log.info(describeStep(mesh.upgradePlan));
    // The namespace patches are registered a few at a time (bindPaced): the program lasts until the last is sent.
    await mesh.namespacesBound;
    const self = { organization: pulumi.getOrganization(), project: pulumi.getProject(), stack: pulumi.getStack() };
    return {
        revisions: mesh.revisions,
        upgradePlan: mesh.upgradePlan,
        meshState: keepSecret(mesh.meshState),
        ...(spec.promotion ? { promotion: { from: qualifiedSource(spec.promotion.from, self), soak: spec.promotion.soak } } : {}),
        ...(spec.renderDirectory ? { renderDirectory: spec.renderDirectory } : {}),
    };
}

/**
 * The stack outputs of a run. The upgrade plan is left out: a stack output is diffed against the previous step's
 * plan, so the preview read old plan against new. It is the preview's diagnostic (above) and an output of the
 * IstioMesh component, where `npm run plan` reads it and the preview shows nothing.
 */
export function stackOutputs(result: Awaited<ReturnType<typeof run>>): Omit<Awaited<ReturnType<typeof run>>, "upgradePlan"> {
    const { upgradePlan: _plan, ...outputs } = result;
    return outputs;
}
