import { namespaceSingleInjectionLabel as policy } from "../../policies/namespace-labels";
import { happySpec, renderMesh, resource, TYPES, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

describe("istio-namespace-single-injection-label", () => {
    for (const view of VIEWS) {
        it(`accepts the happy mesh (${view})`, () => assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));
    }

    it("refuses a namespace with istio-injection=enabled and istio.io/rev", () => {
        const spec = happySpec();
        spec.namespaces.find(n => n.name === "legacy")!.labels["istio.io/rev"] = "1-29";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec)), {
            message: "Namespace legacy: namespace legacy has both istio-injection=enabled and istio.io/rev=1-29; its pods are injected by " +
                "whatever holds the default tag, not by 1-29. Remove istio-injection and keep istio.io/rev=1-29",
            urn: "urn:pulumi:test::istio-mesh::kubernetes:core/v1:Namespace::legacy",
        });
    });

    it("refuses istio-injection=disabled beside istio.io/rev (the namespace is not injected at all)", () => {
        const spec = happySpec();
        spec.namespaces.find(n => n.name === "shop")!.labels["istio-injection"] = "disabled";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec)), { message: "its pods are not injected at all" });
    });

    it("accepts both labels on a namespace whose legacy label the program's legacy-label step removes; refuses the others", () => {
        const resources = [
            ...renderMesh(happySpec()),
            resource(TYPES.namespacePatch, "legacy-rev", { metadata: { name: "legacy", labels: { "istio.io/rev": "1-30", "istio-injection": "enabled" } } }),
            resource("command:local:Command", "legacy-injection", { stdin: "hold legacy enabled\n" }),
        ];
        assertNoStackViolations(policy, stackArgs(resources));
        const other = [...resources.slice(0, -1), resource("command:local:Command", "legacy-injection", { stdin: "hold shop enabled\ngive-back legacy enabled\n" })];
        return assertHasStackViolation(policy, stackArgs(other), { message: /namespace legacy has both/ });
    });

    it("refuses a NamespacePatch that adds the second label, reporting on the patch", () => {
        const resources = [
            ...renderMesh(happySpec()),
            resource(TYPES.namespacePatch, "legacy-rev", { metadata: { name: "legacy", labels: { "istio.io/rev": "1-30" } } }),
        ];
        return assertHasStackViolation(policy, stackArgs(resources), {
            message: /^NamespacePatch legacy \(resource "legacy-rev"\): namespace legacy has both/,
            urn: "urn:pulumi:test::istio-mesh::kubernetes:core/v1:NamespacePatch::legacy-rev",
        });
    });
});
