/**
 * The promotion gate as a policy, for pipelines whose stacks do not set `promotion` (or do not run this program).
 * A policy sees only the plan's resources, not other stacks, so the pipeline hands it the source stack's recorded
 * state in the pack config (`pulumi stack output meshState --json --stack <source>`); see the README.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { MeshState } from "../model/facts";
import { formatDuration } from "../model/duration";
import { judgePromotion, parseSoak, refusal } from "../model/promotion";
import { versionedRevisions } from "./mesh";
import { meshValidation, reportAt, settingsOf } from "./policy-kit";
import { Origin } from "./resources";

export interface PromotionSettings {
    /** The source stack, as named in messages (e.g. acme/istio-mesh/staging). Unset: the policy does not apply. */
    from?: string;
    /** How long the source must have run a version (e.g. "24h"). */
    soak?: string;
    /** The source's `meshState` output, read by the pipeline just before the preview. */
    sourceState?: MeshState;
    /** This stack's own `meshState` output: only what changes from it is judged. Unset: every version is judged. */
    currentState?: MeshState;
}

/** The promotion policy evaluated at `now()`, so tests can pin the date. */
export function promotionPolicy(now: () => Date): StackValidationPolicy {
    return {
        name: "istio-promotion-soaked",
        description:
            "A stack promoted from another runs only Istio versions the source stack has run for the soak time: a new or " +
            "upgraded control plane, an istio-cni version and a tag moved to another revision are judged against the " +
            "source's recorded start times (the `versionsRun` of its `meshState` output, given as `sourceState`). Let the " +
            "version soak on the source first, or keep the version this stack runs.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                from: { type: "string", description: "The source stack (<org>/<project>/<stack>); the policy applies only when set." },
                soak: { type: "string", pattern: "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$", description: "e.g. \"24h\", \"7d\"." },
                sourceState: { type: "object", description: "The source's meshState output (pulumi stack output meshState --json --stack <from>)." },
                currentState: { type: "object", description: "This stack's meshState output, so that only changes are judged." },
            },
        },
        validateStack: meshValidation((mesh, args, report) => {
            const settings = settingsOf<PromotionSettings>(args, {});
            if (!settings.from) {
                return args.notApplicable("no source stack (from) in the pack config");
            }
            const { from, soak, sourceState, currentState } = settings;
            const soakMs = parseSoak(soak);
            if (soakMs === undefined) {
                report(`istio-promotion-soaked: soak ${JSON.stringify(soak)} is not a duration; set it in the pack config, e.g. "24h"`);
                return;
            }
            // The gate never passes because it saw nothing.
            if (!sourceState?.revisions) {
                report(`istio-promotion-soaked: the pack config carries no sourceState for ${from}, so nothing can be promoted; ` +
                    `set it to \`pulumi stack output meshState --json --stack ${from}\``);
                return;
            }
            if (!sourceState.versionsRun) {
                report(`istio-promotion-soaked: the sourceState of ${from} has no start times (versionsRun): it was recorded by an ` +
                    `older istio-mesh program; run \`pulumi up\` on ${from} with this version first`);
                return;
            }
            const changes: { change: string; key: string; version: string; origin: Origin }[] = [];
            const revisions = versionedRevisions(mesh);
            for (const r of revisions) {
                if (currentState?.revisions?.[r.name]?.version !== r.version) {
                    changes.push({ change: `revision ${r.name}`, key: r.name, version: r.version, origin: r.seenIn[0] });
                }
            }
            for (const cni of mesh.cni) {
                if (cni.version && currentState?.cni?.version !== cni.version) {
                    changes.push({ change: "istio-cni", key: "cni", version: cni.version, origin: cni.seenIn[0] });
                }
            }
            for (const [tag, [seen]] of mesh.tags) {
                const version = revisions.find(r => r.name === seen.revision)?.version;
                if (version && currentState?.tags?.[tag] !== seen.revision) {
                    changes.push({ change: `tag ${tag} -> ${seen.revision}`, key: tag, version, origin: seen.seenIn });
                }
            }
            const verdicts = judgePromotion(changes, sourceState, soakMs, now());
            verdicts.forEach((v, i) => {
                if (!v.allowed) {
                    const r = refusal(v, from, soak!);
                    reportAt(report, changes[i].origin, `${r.message}; ${r.fix}` +
                        (v.ranForMs !== undefined && v.allowedFrom ? ` (${formatDuration(soakMs - v.ranForMs)} to go)` : ""));
                }
            });
        }),
    };
}

export const promotionSoaked = promotionPolicy(() => new Date());
