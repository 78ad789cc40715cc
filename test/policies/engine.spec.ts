/**
 * The pack as the Pulumi CLI runs it: `@pulumi/pulumi/cmd/run-policy-pack` started in policies/ (ts-node compiles the
 * TypeScript, ../istio included, with the root's node_modules), then spoken to over the Analyzer gRPC protocol the way
 * the engine does: GetAnalyzerInfo, Configure (pack config), Analyze (one resource's inputs), AnalyzeStack.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { happySpec, renderMesh, TYPES } from "./mesh-fixture";

const grpc = require("@grpc/grpc-js");
const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const pb = require("@pulumi/pulumi/proto/analyzer_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");

const PACK_DIR = path.join(__dirname, "..", "..", "policies");
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

interface Diagnostic { policyName: string; message: string; enforcementLevel: number; urn: string }

function call<T>(client: any, method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => err ? reject(err) : resolve(res)));
}

function analyzerResource(r: { type: string; name: string; urn?: string; props: Record<string, any> }) {
    const resource = new pb.AnalyzerResource();
    resource.setType(r.type);
    resource.setName(r.name);
    resource.setUrn(r.urn);
    resource.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.props))));
    resource.setOptions(new pb.AnalyzerResourceOptions());
    return resource;
}

function diagnostics(response: any): Diagnostic[] {
    return response.getDiagnosticsList().map((d: any) => ({
        policyName: d.getPolicyname(), message: d.getMessage(), enforcementLevel: d.getEnforcementlevel(), urn: d.getUrn(),
    }));
}

describe("the policy pack under the Pulumi policy runtime", function () {
    // ts-node type-checks the pack on start.
    this.timeout(120_000);
    let pack: ChildProcess;
    let client: any;

    before(async () => {
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
        pack = spawn(process.execPath, [runner, "127.0.0.1:0", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        pack.stderr!.on("data", chunk => { stderr += chunk; });
        const port = await new Promise<string>((resolve, reject) => {
            pack.stdout!.once("data", chunk => resolve(String(chunk).trim()));
            pack.once("exit", code => reject(new Error(`pack exited with ${code}: ${stderr}`)));
        });
        assert.match(port, /^\d+$/);
        client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        pack?.kill();
    });

    it("loads, and describes its policies with their levels and settings", async () => {
        const info: any = await call(client, "getAnalyzerInfo", new Empty());
        assert.strictEqual(info.getName(), "istio-mesh");
        assert.strictEqual(info.getVersion(), "0.1.0");
        const policies = info.getPoliciesList();
        assert.strictEqual(policies.length, 17);
        const byName = new Map(policies.map((p: any) => [p.getName(), p]));
        assert.strictEqual((byName.get("istio-version-not-end-of-life") as any).getEnforcementlevel(), pb.EnforcementLevel.ADVISORY);
        assert.strictEqual((byName.get("istio-control-plane-skew") as any).getEnforcementlevel(), pb.EnforcementLevel.MANDATORY);
        const schema = (byName.get("istio-max-control-planes") as any).getConfigschema().getProperties().toJavaScript();
        assert.deepStrictEqual(schema.maxControlPlanes, { type: "integer", minimum: 1, default: 3 });
    });

    it("checks a stack, with the pack config's levels and settings", async () => {
        const configure = new pb.ConfigureAnalyzerRequest();
        const advisory = new pb.PolicyConfig();
        advisory.setEnforcementlevel(pb.EnforcementLevel.ADVISORY);
        advisory.setProperties(Struct.fromJavaScript({}));
        configure.getPolicyconfigMap().set("istio-namespace-single-injection-label", advisory);
        const max = new pb.PolicyConfig();
        max.setEnforcementlevel(pb.EnforcementLevel.MANDATORY);
        max.setProperties(Struct.fromJavaScript({ maxControlPlanes: 1 }));
        configure.getPolicyconfigMap().set("istio-max-control-planes", max);
        await call(client, "configure", configure);

        const spec = happySpec();
        spec.namespaces.find(n => n.name === "legacy")!.labels["istio.io/rev"] = "1-29";
        const request = new pb.AnalyzeStackRequest();
        request.setResourcesList(renderMesh(spec).map(analyzerResource));
        const found = diagnostics(await call(client, "analyzeStack", request))
            .filter(d => d.policyName !== "istio-version-not-end-of-life");
        assert.deepStrictEqual(found.map(d => [d.policyName, d.enforcementLevel]).sort(), [
            ["istio-max-control-planes", pb.EnforcementLevel.MANDATORY],
            ["istio-namespace-single-injection-label", pb.EnforcementLevel.ADVISORY],
        ]);
        const labels = found.find(d => d.policyName === "istio-namespace-single-injection-label")!;
        // The engine prints the description, then the message.
        assert.match(labels.message, /^A namespace carries either .*\nNamespace legacy: namespace legacy has both istio-injection=enabled and istio.io\/rev=1-29/s);
        assert.strictEqual(labels.urn, "urn:pulumi:test::istio-mesh::kubernetes:core/v1:Namespace::legacy");
    });

    it("checks one resource's inputs", async () => {
        const chart = renderMesh(happySpec(), "charts").find(r => r.type === TYPES.chart && r.name === "gateway-istio-ingress")!;
        chart.props.values.containerSecurityContext = { privileged: true };
        const request = new pb.AnalyzeRequest();
        request.setType(chart.type);
        request.setName(chart.name);
        request.setUrn(chart.urn);
        request.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(chart.props))));
        request.setOptions(new pb.AnalyzerResourceOptions());
        const found = diagnostics(await call(client, "analyze", request));
        assert.deepStrictEqual(found.map(d => d.policyName), ["istio-pods-non-root-unprivileged"]);
        assert.match(found[0].message, /value containerSecurityContext sets privileged: true/);
    });

    it("runs during preview with unknown values, concluding nothing from them", async () => {
        const resources = renderMesh(happySpec(), "charts");
        resources.find(r => r.name === "istiod-1-30")!.props.values.revision = UNKNOWN_STRING;
        const request = new pb.AnalyzeStackRequest();
        request.setResourcesList(resources.map(analyzerResource));
        const found = diagnostics(await call(client, "analyzeStack", request))
            .filter(d => d.policyName !== "istio-version-not-end-of-life" && d.policyName !== "istio-max-control-planes");
        assert.deepStrictEqual(found.map(d => d.message), []);
    });
});
