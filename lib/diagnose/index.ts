/** Classification + registry probe + pod context → one verdict with evidence and concrete fixes. */
export { type CheckImageInput, checkImage } from './check.ts';
export { namesInScope, nodePlatform, nodeScheme, sameImage } from './context.ts';
export { causesAgree, type DiagnoseInput, diagnose } from './diagnose.ts';
export { type ImageParts, remediation } from './remediation.ts';
export type { Diagnosis, EvidenceItem, RemediationStep } from './types.ts';
