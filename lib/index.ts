/**
 * istio-mesh as a library (the package's entry, `import { IstioMesh, meshArgs } from "istio-mesh"`): the mesh for a
 * Pulumi program of your own, with your provider and your config object. This repository's own program (program.ts)
 * is one user of the same pieces. README, "As a library", has the example (examples/mesh).
 */
export { IstioMesh, IstioMeshArgs, RevisionOutput } from "../components/mesh";
export { GateCredentials } from "../components/healthGate";
export { meshArgs, MeshArgsOptions } from "../program";
export { RawConfig as MeshConfig } from "../model/config";
export { describeStep, MeshState, UpgradePlan } from "../model/facts";
