/** Revision names that promise a version. */
import { StackValidationPolicy } from "@pulumi/policy";
import { minorOf, minorPromisedByRevisionName, revisionNameForVersion } from "../istio/versions";
import { versionedRevisions } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

export const revisionNameMatchesVersion: StackValidationPolicy = {
    name: "istio-revision-name-matches-version",
    description:
        "A revision named after a version (`1-30`) must run that minor, or operators and tags are misled about what " +
        "serves a namespace. Install the new version as a revision named after it and move namespaces, gateways and " +
        "tags there, or use a name that promises no version (e.g. `stable`, `canary`).",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        for (const revision of versionedRevisions(mesh)) {
            const promised = minorPromisedByRevisionName(revision.name);
            if (promised && promised !== minorOf(revision.version)) {
                reportAt(report, revision.seenIn[0],
                    `revision ${revision.name} promises Istio ${promised} but runs ${revision.version}; install ` +
                    `${revision.version} as revision ${revisionNameForVersion(revision.version)} and migrate to it`);
            }
        }
    }),
};
