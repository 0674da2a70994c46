/** The template files of `templates/`, one per kind, and the scope each renders in. */
import type { VariableScope } from '../render/variable-catalog.js';

export const TEMPLATE_FILES = {
  namespace: { file: 'namespace.yaml', scope: 'tenant' },
  deployment: { file: 'deployment.yaml', scope: 'service' },
  service: { file: 'service.yaml', scope: 'service' },
  ingress: { file: 'ingress.yaml', scope: 'service' },
  pvc: { file: 'pvc.yaml', scope: 'service' },
  buildJob: { file: 'build-job.yaml', scope: 'build' },
  customDomains: { file: 'custom-domains.yaml', scope: 'service' },
  customDomain: { file: 'custom-domain.yaml', scope: 'domain' },
} as const satisfies Record<string, { file: string; scope: VariableScope }>;

export type TemplateKind = keyof typeof TEMPLATE_FILES;

export const TEMPLATE_KINDS = Object.keys(TEMPLATE_FILES) as TemplateKind[];

/** The raw text of every template, as read from disk or given by a test. */
export type TemplateTexts = Record<TemplateKind, string>;

/** A template parsed into documents (each a mapping) and checked against its scope. */
export interface ParsedTemplate {
  file: string;
  documents: unknown[];
}

/** All templates, parsed: the renderer's only view of `templates/`. */
export type TemplateSet = Record<TemplateKind, ParsedTemplate>;
