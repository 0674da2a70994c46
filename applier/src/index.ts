/** The applier's public surface (issue 5). */
export { Applier, type ApplierLogger, type ApplierOptions } from './applier.js';
export type { ApplierStatus, ObjectError, ObjectStatus, SyncReport } from './sync-report.js';
export { KubeClusterClient, type ClusterClient, type LiveObject } from './cluster-client.js';
export { withoutForeignEditors, type ManagedFieldsEntry } from './drift.js';
export { InvalidCommitError, SourceError, type ManifestProblem } from './errors.js';
export { LocalRepoSource, type LocalRepoSourceOptions, type StateSource } from './git-source.js';
export { HttpRepoSource, redactUrl, type HttpRepoSourceOptions } from './http-source.js';
export { healthOf, type Health, type HealthContext, type HealthStatus } from './health.js';
export { applierHttpHandler } from './http-handler.js';
export { decodeInventory, diffInventory, mergeInventory, newInventory, type Inventory, type InventoryEntry } from './inventory.js';
export { parseManifests, type DesiredObject, type ManifestFile } from './manifests.js';
export { refKey, type ManifestObject, type ObjectRef } from './object-ref.js';
