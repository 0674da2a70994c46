/**
 * @dangus/gitops-writer: renders the manifests of docs/architecture.md from `templates/` and
 * commits them to the git state repo. The api's public surface (the applier, which syncs
 * the repo into the cluster, is the package @dangus/applier).
 */
export * from './errors.js';
export type * from './render/types.js';
export { render, renderEach, renderTenant, type TenantRenderFailure } from './render/render.js';
export { DEFAULT_EGRESS_DENIED_CIDRS, DEFAULT_GIT_IMAGE, DEFAULT_GIT_SOURCE_URL, renderSettingsSchema, tenantInputSchema, tenantQuotaSchema } from './render/input-schema.js';
export { rootKustomizationYaml } from './render/kustomization.js';
export { KUSTOMIZATION_FILE, TENANTS_DIR, tenantDir } from './render/layout.js';
export {
  DEPLOYMENT_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PROJECT_LABEL,
  SERVICE_LABEL,
} from './render/labels.js';
export { VARIABLE_CATALOG, type TemplateValue, type VariableName } from './render/variable-catalog.js';
export { buildJobName, buildSecretName, envSecretName, imageRepository, shortSha, tenantHarborProject, tenantQuotaOf } from './render/variables.js';
export { previewName } from './render/preview.js';
export { parseTemplates } from './templates/parse-templates.js';
export { DEFAULT_TEMPLATES_DIR, readTemplates } from './templates/read-templates.js';
export type { TemplateKind, TemplateSet, TemplateTexts } from './templates/template-files.js';
export { StateRepo, type BranchMove, type CommitResult, type PartialRender, type StateRepoOptions, type WriteLock } from './state-repo/state-repo.js';
export type { Actor, CommitMeta, Identity } from './state-repo/commit-message.js';
export { StateHistory, isCommitId, type HistoryCommit, type HistoryFile, type HistoryPage, type HistoryPerson, type HistoryScope } from './state-repo/history.js';
export { addCpu, addMemory, cpuMillicores, quantityValue } from './render/quantity.js';
