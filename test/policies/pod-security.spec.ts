import * as yaml from "js-yaml";
import { podsNonRootUnprivileged as policy } from "../../policies/pod-security";
import { happySpec, istiodObjects, renderMesh, resource, TYPES, VIEWS } from "./mesh-fixture";
import { assertHasResourceViolation, assertNoResourceViolations, resourceArgs } from "./util";
import { ResourceLike } from "../../policies/resources";

function find(resources: ResourceLike[], type: string, name: string): ResourceLike {
    return resources.find(r => r.type === type && r.name === name)!;
}

describe("istio-pods-non-root-unprivileged", () => {
    for (const view of VIEWS) {
        it(`accepts every resource of the happy mesh, the privileged CNI DaemonSet included (${view})`, async () => {
            for (const r of renderMesh(happySpec(), view)) {
                await assertNoResourceViolations(policy, resourceArgs(r));
            }
        });
    }

    it("refuses a privileged istiod container", () => {
        const istiod = find(renderMesh(happySpec(), "objects"), TYPES.deployment, "istiod-1-30");
        istiod.props.spec.template.spec.containers[0].securityContext.privileged = true;
        return assertHasResourceViolation(policy, resourceArgs(istiod), {
            message: /^Deployment istio-system\/istiod-1-30: istiod container discovery sets privileged: true; remove it/,
        });
    });

    it("refuses an istiod pod running as root", () => {
        const istiod = find(renderMesh(happySpec(), "objects"), TYPES.deployment, "istiod-1-29");
        istiod.props.spec.template.spec.securityContext.runAsUser = 0;
        return assertHasResourceViolation(policy, resourceArgs(istiod), { message: "istiod pod securityContext sets runAsUser: 0" });
    });

    it("refuses a gateway container that may escalate privileges", () => {
        const gateway = find(renderMesh(happySpec(), "objects"), TYPES.deployment, "istio-ingress");
        gateway.props.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
        return assertHasResourceViolation(policy, resourceArgs(gateway), { message: "gateway container istio-proxy sets allowPrivilegeEscalation: true" });
    });

    it("refuses a gateway container with runAsNonRoot: false", () => {
        const gateway = find(renderMesh(happySpec(), "objects"), TYPES.deployment, "istio-ingress");
        gateway.props.spec.template.spec.containers[0].securityContext.runAsNonRoot = false;
        return assertHasResourceViolation(policy, resourceArgs(gateway), { message: "gateway container istio-proxy sets runAsNonRoot: false" });
    });

    it("refuses gateway chart values that run the proxy privileged or as root", async () => {
        const chart = find(renderMesh(happySpec(), "charts"), TYPES.chart, "gateway-istio-ingress");
        chart.props.values.containerSecurityContext = { privileged: true };
        chart.props.values.securityContext = { runAsUser: 0 };
        await assertHasResourceViolation(policy, resourceArgs(chart), {
            message: 'gateway chart (resource "gateway-istio-ingress"): value containerSecurityContext sets privileged: true',
        });
        await assertHasResourceViolation(policy, resourceArgs(chart), { message: "value securityContext sets runAsUser: 0" });
    });

    it("refuses istiod chart values that make every injected proxy privileged", () => {
        const chart = find(renderMesh(happySpec(), "charts"), TYPES.chart, "istiod-1-30");
        chart.props.values.global.proxy = { privileged: true };
        return assertHasResourceViolation(policy, resourceArgs(chart), { message: "value global.proxy.privileged: true makes every proxy this revision injects" });
    });

    it("refuses a privileged istiod inside an istioctl ConfigGroup", () => {
        const spec = happySpec();
        const objects = istiodObjects(spec, spec.revisions[1]);
        objects[0].spec.template.spec.containers[0].securityContext = { privileged: true };
        const group = resource(TYPES.configGroup, "istio-1-30", { yaml: objects.map(o => yaml.dump(o)).join("---\n") });
        return assertHasResourceViolation(policy, resourceArgs(group), {
            message: /^Deployment istio-system\/istiod-1-30 \(resource "istio-1-30"\): istiod container discovery sets privileged: true/,
        });
    });

    it("leaves application workloads alone", () => assertNoResourceViolations(policy, resourceArgs(resource(TYPES.deployment, "app", {
        metadata: { name: "app" },
        spec: { template: { spec: { containers: [{ name: "app", image: "app:1", securityContext: { privileged: true } }] } } },
    }))));
});
