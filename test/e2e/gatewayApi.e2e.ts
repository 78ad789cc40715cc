/**
 * Gateway API on the real engine and real istiods: the Gateway API CRDs applied at the chosen release and raised with
 * the Istio CRDs; Gateways of class `istio` whose Deployments the local istiod of their revision deploys (the program
 * and the test only apply Gateways); a tag move that leaves pinned Gateways alone; a move of one Gateway that
 * istiod-<new> re-deploys; two moved in one step, one after the other; and the refusals before anything applies.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import { RawConfig } from "../../model/config";
import { appNamespace, LocalCluster, LocalProject } from "../../demo/local";
import { toolchainOrSkip } from "../support/e2e";

describe("end to end: Gateway API gateways deployed by istiod, moved one at a time", function () {
    let env: NodeJS.ProcessEnv;
    let cluster: LocalCluster;
    let project: LocalProject;
    let OLD: string;
    let NEW: string;

    before(function () {
        ({ env, OLD, NEW } = toolchainOrSkip(this));
        cluster = LocalCluster.start(env);
        cluster.apply(appNamespace("shop", ["web"]));
        project = LocalProject.create("gwapi", env);
    });

    after(() => {
        project?.dispose();
        cluster?.stop();
    });

    const listener = (port: number) => [{ port }];
    type Gw = { name: string; revision: string; port: number };
    function config(step: { revisions: string[]; defaultTag: string; gatewayApi: string; gateways: Gw[]; rollout?: object }): RawConfig {
        return {
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio" },
            charts: { localDir: `${env.ISTIO_MESH_CHARTS}/{version}` },
            kubernetes: { kubeconfig: cluster.kubeconfig },
            restartTimeout: "2m",
            revisions: step.revisions.map(version => ({ version })),
            tags: { default: step.defaultTag },
            namespaces: { shop: "default" },
            gatewayApi: {
                version: step.gatewayApi,
                gateways: step.gateways.map(g => ({ name: g.name, namespace: "shop", revision: g.revision, serviceType: "ClusterIP", listeners: listener(g.port) })),
            },
            ...(step.rollout ? { rollout: step.rollout } : {}),
        };
    }
    const gateways = (storefront: string, checkout: string, admin: string): Gw[] =>
        [{ name: "storefront", revision: storefront, port: 80 }, { name: "checkout", revision: checkout, port: 8080 }, { name: "admin", revision: admin, port: 9090 }];

    /** The Deployment istiod deployed for a Gateway: which revision templated its pods, with which proxy, and who wrote it. */
    function deployed(gateway: string): { revision: string; image: string; managers: string[]; pods: string } {
        const d = cluster.json("get", "deployment", `${gateway}-istio`, "-n", "shop", "--show-managed-fields");
        const pods = cluster.json("get", "pods", "-n", "shop", "-l", `gateway.networking.k8s.io/gateway-name=${gateway}`).items
            .filter((p: any) => !p.metadata.deletionTimestamp);
        for (const p of pods) {
            assert.strictEqual(p.metadata.annotations["istio.io/rev"], d.spec.template.metadata.annotations["istio.io/rev"], `pod ${p.metadata.name}`);
        }
        return {
            revision: d.spec.template.metadata.annotations["istio.io/rev"],
            image: d.spec.template.spec.containers.find((c: any) => c.name === "istio-proxy").image,
            managers: [...new Set<string>(d.metadata.managedFields.map((f: any) => f.manager))].sort(),
            pods: pods.map((p: any) => p.metadata.name).sort().join(","),
        };
    }
    const bundleVersion = () => cluster.json("get", "crd", "gateways.gateway.networking.k8s.io").metadata.annotations["gateway.networking.k8s.io/bundle-version"];
    const changes = (steps: { op: string; name: string; type: string }[]) =>
        steps.filter(s => s.op !== "same" && s.op !== "read" && s.type !== "pulumi:pulumi:Stack").map(s => `${s.op} ${s.name}`).sort();
    const timed = <T>(what: string, f: () => T): T => {
        const start = Date.now();
        try {
            return f();
        } finally {
            console.log(`      (${what}: ${((Date.now() - start) / 1000).toFixed(1)} s)`);
        }
    };

    it("1. an unsupported Gateway API/Istio pair is refused before anything applies, naming both versions", () => {
        project.setConfig(config({ revisions: [OLD], defaultTag: "1-30", gatewayApi: "1.7.0", gateways: gateways("1-30", "1-30", "1-30") }));
        const r = project.pulumi("preview");
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stdout + r.stderr, new RegExp(`istio-mesh:gatewayApi\\.version = "1\\.7\\.0": Istio ${OLD.replace(/\./g, "\\.")} supports Gateway API 1\\.5\\.x to 1\\.6\\.x .*not Gateway API 1\\.7\\.0`));
        assert.throws(() => cluster.kubectl("get", "crd", "gateways.gateway.networking.k8s.io"), "no CRD applied");
    });

    it("2. up: the Gateway API CRDs at the chosen release, and each Gateway deployed by istiod-1-30, not by the program", () => {
        project.setConfig(config({ revisions: [OLD], defaultTag: "1-30", gatewayApi: "1.5.1", gateways: gateways("1-30", "1-30", "1-30") }));
        timed("up", () => project.up());
        assert.strictEqual(bundleVersion(), "v1.5.1");
        const crd = cluster.json("get", "crd", "gateways.gateway.networking.k8s.io", "--show-managed-fields");
        assert.ok(crd.metadata.managedFields.some((f: any) => f.manager === "istio-mesh" && f.operation === "Apply"), "applied server-side by the step");
        for (const name of ["storefront", "checkout", "admin"]) {
            const gw = cluster.json("get", "gateway", name, "-n", "shop");
            assert.strictEqual(gw.metadata.labels["istio.io/rev"], "1-30", `${name} pinned to its revision`);
            const d = deployed(name);
            assert.strictEqual(d.revision, "1-30", name);
            assert.ok(d.image.endsWith(`:${OLD}`), d.image);
            assert.ok(!d.managers.some(m => /pulumi|istio-mesh|kubectl/.test(m)), `the Deployment is istiod's: ${d.managers.join(", ")}`);
            assert.ok(d.pods.length > 0, `${name} has pods`);
        }
    });

    let podsBefore: Record<string, string>;
    it("3. add the new revision: the Gateway API CRDs are raised with the Istio CRDs, no Gateway changes", () => {
        project.setConfig(config({ revisions: [OLD, NEW], defaultTag: "1-30", gatewayApi: "1.6.0", gateways: gateways("1-30", "1-30", "1-30") }));
        const planned = changes(project.previewSteps());
        assert.ok(planned.includes("update crds") && planned.includes("update gateway-api-crds"), planned.join(", "));
        assert.deepStrictEqual(planned.filter(c => /gateway-api-shop/.test(c)), [], "no Gateway changes");
        podsBefore = { storefront: deployed("storefront").pods, checkout: deployed("checkout").pods, admin: deployed("admin").pods };
        timed("up", () => project.up());
        assert.strictEqual(bundleVersion(), "v1.6.0");
        cluster.waitForIstiods(["1-30", "1-31"]);
    });

    it("4. a tag move leaves the pinned Gateways alone", () => {
        project.setConfig(config({ revisions: [OLD, NEW], defaultTag: "1-31", gatewayApi: "1.6.0", gateways: gateways("1-30", "1-30", "1-30") }));
        const planned = changes(project.previewSteps());
        assert.deepStrictEqual(planned.filter(c => /gateway-api/.test(c)), [], planned.join(", "));
        timed("up", () => project.up());
        for (const name of ["storefront", "checkout", "admin"]) {
            const d = deployed(name);
            assert.deepStrictEqual([d.revision, d.pods], ["1-30", podsBefore[name]], `${name} not re-deployed`);
        }
    });

    it("5. moving one Gateway re-deploys it alone, from istiod-1-31", () => {
        project.setConfig(config({ revisions: [OLD, NEW], defaultTag: "1-31", gatewayApi: "1.6.0", gateways: gateways("1-31", "1-30", "1-30") }));
        const planned = changes(project.previewSteps());
        assert.deepStrictEqual(planned.filter(c => /gateway-api/.test(c)),
            ["update gateway-api-shop/storefront", "update gateway-api-shop/storefront-rollout"], planned.join(", "));
        timed("up", () => project.up());
        const moved = deployed("storefront");
        assert.strictEqual(moved.revision, "1-31");
        assert.ok(moved.image.endsWith(`:${NEW}`), moved.image);
        assert.notStrictEqual(moved.pods, podsBefore.storefront, "its pods were replaced");
        for (const name of ["checkout", "admin"]) {
            assert.deepStrictEqual([deployed(name).revision, deployed(name).pods], ["1-30", podsBefore[name]], `${name} untouched`);
        }
    });

    it("6. two Gateways moved in one step roll one after the other, the pause between", () => {
        project.setConfig(config({
            revisions: [OLD, NEW], defaultTag: "1-31", gatewayApi: "1.6.0", gateways: gateways("1-31", "1-31", "1-31"),
            rollout: { parallelNamespaces: 1, pauseBetween: "5s" },
        }));
        timed("up", () => project.up());
        for (const name of ["checkout", "admin"]) {
            const d = deployed(name);
            assert.strictEqual(d.revision, "1-31", name);
            assert.ok(d.image.endsWith(`:${NEW}`), d.image);
        }
        // Waves in the order of their ids: shop/admin, then shop/checkout. The second's new ReplicaSet was created after
        // the first's rolled out and the pause: at least 5 s later.
        const newest = (gateway: string) => cluster.json("get", "replicasets", "-n", "shop", "-l", `gateway.networking.k8s.io/gateway-name=${gateway}`).items
            .filter((rs: any) => rs.spec.template.metadata.annotations["istio.io/rev"] === "1-31")
            .map((rs: any) => Date.parse(rs.metadata.creationTimestamp))[0];
        const gap = (newest("checkout") - newest("admin")) / 1000;
        console.log(`      (checkout re-deployed ${gap} s after admin)`);
        assert.ok(gap >= 5, `checkout moved ${gap} s after admin`);
        const state = project.stateResources();
        const checkout = state.find(r => r.urn.endsWith("::gateway-api-shop/checkout") && r.urn.includes("Gateway"))!;
        assert.ok(checkout.dependencies?.some(d => d.endsWith("::gateway-api-shop/admin-rollout")), "the second wave waits for the first's rollout");
    });

    it("7. retiring the old revision while a Gateway runs on it is refused before anything applies", () => {
        // A Gateway of the team's own, not in the config, still on 1-30: istiod-1-30 deploys it.
        cluster.apply([{
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: "legacy", namespace: "shop", labels: { "istio.io/rev": "1-30" } },
            spec: { gatewayClassName: "istio", listeners: [{ name: "http", port: 7070, protocol: "HTTP" }] },
        }]);
        for (let i = 0; i < 60 && !cluster.kubectl("get", "deployment", "legacy-istio", "-n", "shop", "--ignore-not-found", "-o", "name").trim(); i++) {
            execFileSync("sleep", ["1"]);
        }
        cluster.kubectl("-n", "shop", "rollout", "status", "deployment/legacy-istio", "--timeout=120s");
        project.setConfig(config({ revisions: [NEW], defaultTag: "1-31", gatewayApi: "1.6.0", gateways: gateways("1-31", "1-31", "1-31") }));
        const r = project.pulumi("preview");
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stdout + r.stderr, /revision 1-30 \(\S+\) leaves the config, but \d+ running or pending pods? uses? it: shop\/legacy-istio-\S+ \(gateway shop\/legacy, deployed by 1-30\)/);
        const refused = project.pulumi("up", "--yes", "--skip-preview");
        assert.notStrictEqual(refused.code, 0);
        assert.ok(cluster.kubectl("get", "deployment", "istiod-1-30", "-n", "istio-system", "-o", "name").trim() !== "", "istiod-1-30 still runs");
        assert.strictEqual(deployed("legacy").revision, "1-30");
    });
});
