import * as assert from "assert";
import { chartLocation, helmTemplateOptions, istioctlPath } from "../../components/chartSource";
import { ChartSourceSpec } from "../../model/config";

const source = (s: Partial<ChartSourceSpec>): ChartSourceSpec => ({ renderer: "helm", repository: "oci://ghcr.io/istio/release/charts", ...s });

describe("chart sources", () => {
    it("OCI repository: the chart is a reference under the repository", () => {
        assert.deepStrictEqual(chartLocation(source({ repository: "oci://mirror.example.com/istio/" }), "istiod", "1.30.2"),
            { chart: "oci://mirror.example.com/istio/istiod", version: "1.30.2" });
    });

    it("HTTP repository: chart name with repositoryOpts", () => {
        assert.deepStrictEqual(chartLocation(source({ repository: "https://blob.istio.io/istio-release/charts" }), "gateway", "1.30.2"),
            { chart: "gateway", version: "1.30.2", repositoryOpts: { repo: "https://blob.istio.io/istio-release/charts" } });
    });

    it("local directory per version wins over the repository", () => {
        assert.deepStrictEqual(chartLocation(source({ localDir: "/srv/charts/{version}/" }), "cni", "1.29.3"), { chart: "/srv/charts/1.29.3/cni", version: "1.29.3" });
    });

    it("the provider's helm template renders each source as the Chart fetches it: a directory by path, OCI by reference, HTTP by URL", () => {
        const template = (s: Partial<ChartSourceSpec>) => helmTemplateOptions(chartLocation(source(s), "base", "1.31.0"), "base", "istio-system", { defaultRevision: "" });
        const common = { release_name: "base", namespace: "istio-system", values: { defaultRevision: "" } };
        assert.deepStrictEqual(template({ localDir: "/srv/charts/{version}" }), { ...common, path: "/srv/charts/1.31.0/base" });
        assert.deepStrictEqual(template({}), { ...common, chart: "oci://ghcr.io/istio/release/charts/base", version: "1.31.0" });
        assert.deepStrictEqual(template({ repository: "https://blob.istio.io/istio-release/charts" }),
            { ...common, chart: "base", version: "1.31.0", fetch_opts: { repo: "https://blob.istio.io/istio-release/charts" } });
    });

    it("istioctl of each version", () => {
        assert.strictEqual(istioctlPath(source({ istioctl: "/opt/istio-{version}/bin/istioctl" }), "1.30.2"), "/opt/istio-1.30.2/bin/istioctl");
    });
});
