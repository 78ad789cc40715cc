/** Which pods keep a retiring revision in use: judged when the program runs, before anything is applied. */
import * as assert from "assert";
import { webhookTarget } from "../../istio";
import { MeshState } from "../../model/facts";
import { retirementProblem, retiringRevisions, revisionUses, targetResolver } from "../../model/retirement";
import { KubeObject } from "../../model/rollout";
import { pod } from "../support/cluster";

const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({ kind: "Namespace", metadata: { name, labels } });

const previous: MeshState = {
    revisions: { "1-29": { version: "1.29.3" }, "1-30": { version: "1.30.2" } },
    tags: { default: "1-29", canary: "1-30" },
    namespaces: {},
    gateways: {},
};
/** The step under judgment: 1-29 leaves, default moves to 1-30. */
const spec = { revisions: [{ name: "1-30", version: "1.30.2" }], tags: [{ name: "default", revision: "1-30" }] } as any;
const resolve = targetResolver(spec, previous);
const uses = (namespaces: KubeObject[], pods: KubeObject[]) => revisionUses(["1-29"], resolve, { namespaces, pods });

describe("istio/injection webhookTarget: the webhook a new pod is sent to, from the labels", () => {
    const cases: [string, Record<string, string>, Record<string, string>, string | undefined][] = [
        ["legacy label: the default tag", { "istio-injection": "enabled" }, {}, "default"],
        ["legacy label wins over the namespace's revision label", { "istio-injection": "enabled", "istio.io/rev": "1-30" }, {}, "default"],
        ["istio-injection=disabled: no webhook, whatever the pod says", { "istio-injection": "disabled" }, { "istio.io/rev": "1-30" }, undefined],
        ["the namespace's revision label", { "istio.io/rev": "canary" }, {}, "canary"],
        ["a namespace's own label wins over the pod's", { "istio.io/rev": "1-30" }, { "istio.io/rev": "1-29" }, "1-30"],
        ["an unlabelled namespace lets the pod choose", {}, { "istio.io/rev": "1-29" }, "1-29"],
        ["sidecar.istio.io/inject=true on the pod: the default tag", {}, { "sidecar.istio.io/inject": "true" }, "default"],
        ["the pod's revision label wins over its inject=true", {}, { "sidecar.istio.io/inject": "true", "istio.io/rev": "1-30" }, "1-30"],
        ["a pod opting out is sent to none", { "istio.io/rev": "1-30" }, { "sidecar.istio.io/inject": "false" }, undefined],
        ["no label anywhere", {}, {}, undefined],
    ];
    for (const [title, ns, podLabels, expected] of cases) {
        it(title, () => assert.strictEqual(webhookTarget(ns, podLabels), expected));
    }
});

describe("model/retirement: pods that keep a retiring revision in use", () => {
    it("the revisions the previous up ran that the config drops", () => {
        assert.deepStrictEqual(retiringRevisions(previous, spec), ["1-29"]);
        assert.deepStrictEqual(retiringRevisions(undefined, spec), []);
    });

    it("resolves tags as they will be after the step, and a tag the step drops as it was", () => {
        assert.strictEqual(resolve("default"), "1-30");
        assert.strictEqual(resolve("canary"), "1-30");
        assert.strictEqual(resolve("1-29"), "1-29");
        const dropping = targetResolver({ tags: [] } as any, previous);
        assert.strictEqual(dropping("default"), "1-29", "its webhook still stands until the step removes it");
    });

    it("a running pod injected by the retiring revision, in any namespace, blocks", () => {
        const found = uses([namespace("shop", { "istio.io/rev": "1-30" })], [pod("shop", "web-0", undefined, { revision: "1-29" })]);
        assert.deepStrictEqual(found, [{ pod: "shop/web-0", revision: "1-29", how: "injected by 1-29" }]);
    });

    it("a pending pod blocks; succeeded and failed pods never do", () => {
        const at = (name: string, phase: string) => ({ ...pod("jobs", name, undefined, { revision: "1-29" }), status: { phase } });
        const found = uses([namespace("jobs")], [at("a", "Pending"), at("b", "Succeeded"), at("c", "Failed"), at("d", "Unknown")]);
        assert.deepStrictEqual(found.map(u => u.pod), ["jobs/a", "jobs/d"]);
    });

    it("an uninjected pod whose re-creation would be injected by it blocks: namespace label, pod label", () => {
        const found = uses([namespace("legacy", { "istio.io/rev": "1-29" }), namespace("free")],
            [pod("legacy", "a", undefined), pod("free", "b", undefined, {}, { "istio.io/rev": "1-29" })]);
        assert.deepStrictEqual(found, [
            { pod: "free/b", revision: "1-29", how: "re-created, would be injected by 1-29" },
            { pod: "legacy/a", revision: "1-29", how: "re-created, would be injected by 1-29" },
        ]);
    });

    it("through a tag the step drops", () => {
        const dropping = revisionUses(["1-29"], targetResolver({ tags: [] } as any, previous),
            { namespaces: [namespace("old", { "istio-injection": "enabled" })], pods: [pod("old", "a", undefined)] });
        assert.deepStrictEqual(dropping, [{ pod: "old/a", revision: "1-29", how: "re-created, would be injected by 1-29 through tag default" }]);
    });

    it("labels that resolve elsewhere after the step, opted-out pods and istiod itself do not block", () => {
        const found = uses([namespace("shop", { "istio-injection": "enabled" }), namespace("istio-system"), namespace("free")], [
            pod("shop", "web-0", undefined, { revision: "1-30" }),
            pod("shop", "web-1", undefined),
            pod("free", "out", undefined, {}, { "istio.io/rev": "1-29", "sidecar.istio.io/inject": "false" }),
            pod("istio-system", "istiod-1-29-abc", undefined, {}, { app: "istiod", "istio.io/rev": "1-29" }),
        ]);
        assert.deepStrictEqual(found, []);
    });

    it("the refusal names the config key, the first pods, the count and the fix", () => {
        const pods = Array.from({ length: 7 }, (_, i) => pod("shop", `web-${i}`, undefined, { revision: "1-29" }));
        const problem = retirementProblem(uses([namespace("shop")], pods), previous)!;
        assert.strictEqual(problem.key, "istio-mesh:revisions");
        assert.deepStrictEqual(problem.value, ["1-29"]);
        assert.match(problem.message, /^revision 1-29 \(1\.29\.3\) leaves the config, but 7 running or pending pods use it: shop\/web-0 \(injected by 1-29\), .*shop\/web-4 \(injected by 1-29\) and 2 more\. Nothing was applied$/);
        assert.match(problem.fix, /^keep 1-29 in istio-mesh:revisions for this step; move the namespaces/);
        assert.strictEqual(retirementProblem([], previous), undefined);
    });
});
