import * as assert from "assert";
import * as path from "path";
import { Disk, MeshConfigError, parseMeshConfig, RawConfig } from "../../model/config";

/** A valid config with one Gateway API gateway, mutated one key per test. */
function happy(gateway: Record<string, unknown> = {}, gatewayApi: Record<string, unknown> = {}): RawConfig {
    return {
        revisions: [{ version: "1.30.2" }, { version: "1.31.0" }],
        tags: { default: "1-30" },
        namespaces: { shop: "default" },
        gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "1-30" }],
        gatewayApi: {
            version: "1.6.0",
            gateways: [{ name: "storefront", namespace: "shop", revision: "1-30", listeners: [{ port: 80 }], ...gateway }],
            ...gatewayApi,
        },
    };
}

function problems(raw: RawConfig, disk?: Disk) {
    try {
        parseMeshConfig(raw, undefined, false, disk);
    } catch (e) {
        assert.ok(e instanceof MeshConfigError, `expected MeshConfigError, got ${e}`);
        return e.problems;
    }
    assert.fail("config was accepted");
}

/** The one problem of a config. */
function problem(raw: RawConfig, disk?: Disk) {
    const all = problems(raw, disk);
    assert.strictEqual(all.length, 1, all.map(p => `${p.key}: ${p.message}`).join("\n"));
    return all[0];
}

/** A disk holding the files of `files` (relative to /project). */
function diskWith(files: Record<string, string>): Disk {
    return {
        projectDir: "/project",
        realpath: p => p,
        isDirectory: () => false,
        readText: p => files[path.relative("/project", p)],
    };
}

describe("stack config: gatewayApi", () => {
    it("reads the CRDs' release and a gateway with its defaults", () => {
        const spec = parseMeshConfig(happy());
        assert.deepStrictEqual(spec.gatewayApi, {
            crds: { version: "1.6.0", channel: "standard" },
            gateways: [{
                name: "storefront", namespace: "shop", target: "1-30", className: "istio", serviceType: "LoadBalancer",
                listeners: [{ name: "http-80", port: 80, protocol: "HTTP", routesFrom: "Same" }],
            }],
        });
        assert.deepStrictEqual(spec.advisories, []);
    });

    it("leaves the CRDs unmanaged by default and without gatewayApi", () => {
        const { gatewayApi: _, ...without } = happy();
        assert.deepStrictEqual(parseMeshConfig(without).gatewayApi, { gateways: [] });
        assert.strictEqual(parseMeshConfig(happy({}, { version: "unmanaged" })).gatewayApi.crds, undefined);
    });

    it("takes the experimental channel when asked, and a v-prefixed release", () => {
        assert.deepStrictEqual(parseMeshConfig(happy({}, { version: "v1.6.1", channel: "experimental" })).gatewayApi.crds,
            { version: "1.6.1", channel: "experimental" });
    });

    it("refuses an unknown release, naming the releases that suit the revisions", () => {
        const p = problem(happy({}, { version: "1.9.9" }));
        assert.strictEqual(p.key, "istio-mesh:gatewayApi.version");
        assert.strictEqual(p.value, "1.9.9");
        assert.match(p.fix, /"1\.6\.3" \(suits Istio 1\.30\.2 and 1\.31\.0\)/);
    });

    it("refuses a release one revision does not support, naming both versions", () => {
        const p = problem(happy({}, { version: "1.5.1" }));
        assert.strictEqual(p.key, "istio-mesh:gatewayApi.version");
        assert.match(p.message, /Istio 1\.31\.0 supports Gateway API 1\.6\.x to 1\.7\.x .*not Gateway API 1\.5\.1/);
        assert.match(p.fix, /1\.6\.3/);
    });

    it("warns, without refusing, where the table has no verified row", () => {
        const spec = parseMeshConfig({ ...happy(), revisions: [{ version: "1.29.3" }], tags: { default: "1-29" },
            gateways: [], gatewayApi: { version: "1.4.1" } });
        assert.deepStrictEqual(spec.advisories.map(a => a.key), ["istio-mesh:gatewayApi.version"]);
        assert.match(spec.advisories[0].message, /Istio 1\.29\.3 .*not verified.*Gateway API 1\.4\.1/);
    });

    it("refuses a channel without CRDs to apply", () => {
        assert.strictEqual(problem(happy({}, { version: "unmanaged", channel: "experimental" })).key, "istio-mesh:gatewayApi.channel");
    });

    it("refuses listeners without ports", () => {
        const p = problem(happy({ listeners: [{ protocol: "HTTP" }] }));
        assert.strictEqual(p.key, "istio-mesh:gatewayApi.gateways[0].listeners[0].port");
        assert.match(p.message, /required/);
    });

    it("refuses an empty listener list, a port out of range and two listeners of one name", () => {
        assert.match(problem(happy({ listeners: [] })).message, /at least one listener/);
        assert.strictEqual(problem(happy({ listeners: [{ port: 70000 }] })).key, "istio-mesh:gatewayApi.gateways[0].listeners[0].port");
        const dup = problem(happy({ listeners: [{ port: 80, name: "web" }, { port: 8080, name: "web" }] }));
        assert.strictEqual(dup.key, "istio-mesh:gatewayApi.gateways[0].listeners[1].name");
    });

    it("refuses an HTTPS listener without a certificate, and a certificate on HTTP", () => {
        assert.strictEqual(problem(happy({ listeners: [{ port: 443, protocol: "HTTPS" }] })).key, "istio-mesh:gatewayApi.gateways[0].listeners[0].certificate");
        assert.match(problem(happy({ listeners: [{ port: 80, certificate: "tls" }] })).message, /does not apply to an HTTP listener/);
        const tls = parseMeshConfig(happy({ listeners: [{ port: 443, protocol: "HTTPS", certificate: "shop-tls", hostname: "shop.example.com", routesFrom: "All" }] }));
        assert.deepStrictEqual(tls.gatewayApi.gateways[0].listeners, [{
            name: "https-443", port: 443, protocol: "HTTPS", hostname: "shop.example.com", certificate: "shop-tls", routesFrom: "All",
        }]);
    });

    it("refuses a gateway in a namespace the program does not manage, naming those it does", () => {
        const p = problem(happy({ namespace: "elsewhere" }));
        assert.strictEqual(p.key, "istio-mesh:gatewayApi.gateways[0].namespace");
        assert.strictEqual(p.value, "elsewhere");
        assert.match(p.message, /not a namespace this stack manages/);
        assert.match(p.fix, /add it to istio-mesh:namespaces.*istio-ingress, istio-system, shop/);
        // The istio namespace and a Helm gateway's namespace are managed.
        parseMeshConfig(happy({ namespace: "istio-system" }));
        parseMeshConfig(happy({ namespace: "istio-ingress" }));
    });

    it("refuses duplicate names: two Gateways, and a Gateway named like a Helm gateway", () => {
        const raw = happy();
        const gatewayApi = raw.gatewayApi as { gateways: Record<string, unknown>[] };
        gatewayApi.gateways.push({ ...gatewayApi.gateways[0], listeners: [{ port: 8080 }] });
        const p = problem(raw);
        assert.strictEqual(p.key, "istio-mesh:gatewayApi.gateways[1].name");
        assert.match(p.message, /gatewayApi\.gateways\[0\] already is gateway shop\/storefront/);
        assert.match(problem(happy({ name: "ingress", namespace: "istio-ingress" })).message, /gateways\[0\] already is gateway istio-ingress\/ingress/);
        assert.match(problem(happy({ name: "ingress", namespace: "istio-ingress", className: "x" })).message, /already is gateway/);
    });

    it("refuses a Gateway whose Deployment istiod would name like a Helm gateway's", () => {
        const raw = { ...happy({ name: "edge", namespace: "istio-ingress" }), gateways: [{ name: "edge-istio", namespace: "istio-ingress", revision: "1-30" }] };
        assert.match(problem(raw).message, /istiod would deploy istio-ingress\/edge-istio/);
    });

    it("refuses an unknown revision, and one the config retires", () => {
        assert.strictEqual(problem(happy({ revision: "1-29" })).key, "istio-mesh:gatewayApi.gateways[0].revision");
        try {
            parseMeshConfig(happy({ revision: "old" }), { revisions: { old: { version: "1.29.3" }, "1-30": { version: "1.30.2" } } });
            assert.fail("accepted");
        } catch (e) {
            assert.match((e as Error).message, /gateway shop\/storefront still uses revision "old", which this config retires/);
        }
    });

    it("warns of a gateway following a tag, naming istio#59959 and the revision to pin", () => {
        const spec = parseMeshConfig(happy({ revision: "default" }));
        assert.strictEqual(spec.gatewayApi.gateways[0].target, "default");
        assert.deepStrictEqual(spec.advisories.map(a => a.key), ["istio-mesh:gatewayApi.gateways[0].revision"]);
        assert.match(spec.advisories[0].message, /istio\/istio#59959/);
        assert.match(spec.advisories[0].fix, /pin it: revision: 1-30/);
    });

    it("needs exactly one of listeners and manifest", () => {
        assert.match(problem(happy({ manifest: "gw.yaml" })).message, /exactly one of listeners and manifest/);
        assert.match(problem(happy({ listeners: undefined })).message, /exactly one of listeners and manifest/);
    });

    describe("manifest", () => {
        const gateway = (extra = "") => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: storefront
${extra}spec:
  gatewayClassName: istio
  listeners: [{name: web, port: 80, protocol: HTTP}]
`;
        const raw = () => happy({ listeners: undefined, manifest: "gateways/storefront.yaml" });

        it("reads the user's Gateway from the project", () => {
            const spec = parseMeshConfig(raw(), undefined, false, diskWith({ "gateways/storefront.yaml": gateway() }));
            const m = spec.gatewayApi.gateways[0].manifest!;
            assert.strictEqual(m.path, "gateways/storefront.yaml");
            assert.strictEqual((m.object as { spec: { listeners: unknown[] } }).spec.listeners.length, 1);
            assert.strictEqual(spec.gatewayApi.gateways[0].listeners, undefined);
        });

        it("keeps the path alone where no disk is read", () => {
            assert.deepStrictEqual(parseMeshConfig(raw()).gatewayApi.gateways[0].manifest, { path: "gateways/storefront.yaml" });
        });

        it("refuses a missing file, another object, another name, namespace, class or revision", () => {
            const cases: [string | undefined, RegExp][] = [
                [undefined, /names no file/],
                ["kind: ConfigMap\napiVersion: v1\n", /holds a ConfigMap of v1, not a Gateway/],
                [gateway().replace("name: storefront", "name: other"), /holds Gateway other, not storefront/],
                [gateway("  namespace: other\n"), /namespace other, not shop/],
                [gateway().replace("gatewayClassName: istio", "gatewayClassName: nginx"), /class nginx, not istio/],
                [gateway("  labels: {istio.io/rev: 1-31}\n"), /sets istio\.io\/rev=1-31, but its revision is 1-30/],
                [`${gateway()}---\n${gateway()}`, /holds 2 documents/],
                ["a: [", /is not YAML/],
            ];
            for (const [text, message] of cases) {
                const p = problem(raw(), diskWith(text === undefined ? {} : { "gateways/storefront.yaml": text }));
                assert.strictEqual(p.key, "istio-mesh:gatewayApi.gateways[0].manifest");
                assert.match(p.message, message);
            }
        });
    });
});
