import {
  createServiceSchema,
  normaliseContextDir,
  normaliseWatchPaths,
  updateServiceSchema,
  type CreateServiceBody,
  type CreateServiceInput,
  type ServiceDto,
  type UpdateServiceInput,
} from '@dangus/common';
import { issuesToFieldErrors, type FieldErrors } from '../../../lib/field-errors';

/** What the service form holds: strings as typed, switches as switches. */
export interface ServiceFormValues {
  name: string;
  repoUrl: string;
  branch: string;
  /** The build context, relative to the repository root (`.`: the root). */
  contextDir: string;
  dockerfilePath: string;
  /** Watch paths as typed: one pattern per line (commas split too). */
  watchPaths: string;
  port: string;
  storageEnabled: boolean;
  storageGb: number;
  healthCheckEnabled: boolean;
  healthCheckPath: string;
}

/** The form's fields, in order: the names the api uses in `error.fields`. */
export const SERVICE_FIELDS = [
  'name',
  'repoUrl',
  'branch',
  'contextDir',
  'dockerfilePath',
  'watchPaths',
  'port',
  'storageGb',
  'healthCheckPath',
] as const;

export const emptyServiceForm: ServiceFormValues = {
  name: '',
  repoUrl: '',
  branch: 'main',
  contextDir: '.',
  dockerfilePath: 'Dockerfile',
  watchPaths: '',
  port: '',
  storageEnabled: false,
  storageGb: 1,
  healthCheckEnabled: false,
  healthCheckPath: '/healthz',
};

export function valuesFromService(service: ServiceDto): ServiceFormValues {
  return {
    name: service.name,
    repoUrl: service.repoUrl,
    branch: service.branch,
    contextDir: service.contextDir,
    dockerfilePath: service.dockerfilePath,
    watchPaths: service.watchPaths.join('\n'),
    port: String(service.port),
    storageEnabled: service.storageGb !== null,
    storageGb: service.storageGb ?? 1,
    healthCheckEnabled: service.healthCheckPath !== null,
    healthCheckPath: service.healthCheckPath ?? '/healthz',
  };
}

/** A port as typed: only plain digits are a number (so "80a" or "8e3" is an error). */
function parsePort(text: string): number {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** The lines of the watch paths box (the schema splits commas, trims and drops empty ones). */
export function watchPathLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/** The body the form sends: a field it does not show keeps the api's default. */
function toInput(values: ServiceFormValues): CreateServiceBody {
  return {
    name: values.name.trim(),
    repoUrl: values.repoUrl.trim(),
    branch: values.branch.trim(),
    contextDir: values.contextDir,
    dockerfilePath: values.dockerfilePath.trim(),
    watchPaths: watchPathLines(values.watchPaths),
    port: parsePort(values.port),
    storageGb: values.storageEnabled ? values.storageGb : null,
    healthCheckPath: values.healthCheckEnabled ? values.healthCheckPath.trim() : null,
    // Replicas and size are set on the service page once it exists.
  };
}

export type Validated<T> = { ok: true; input: T } | { ok: false; errors: FieldErrors };

/** Checks a new service with the api's own schema; errors keyed by field. */
export function validateCreate(values: ServiceFormValues): Validated<CreateServiceInput> {
  const result = createServiceSchema.safeParse(toInput(values));
  return result.success ? { ok: true, input: result.data } : { ok: false, errors: issuesToFieldErrors(result.error.issues) };
}

/**
 * Checks an edit and keeps only what changed, so a PATCH never rewrites
 * fields the user did not touch (and a no-op edit makes no commit).
 */
export function validateUpdate(values: ServiceFormValues, original: ServiceDto): Validated<UpdateServiceInput> {
  const next = toInput(values);
  const changed: Partial<CreateServiceInput> = {};
  if (next.repoUrl !== original.repoUrl) changed.repoUrl = next.repoUrl;
  if (next.branch !== original.branch) changed.branch = next.branch;
  if (next.dockerfilePath !== original.dockerfilePath) changed.dockerfilePath = next.dockerfilePath;
  if (normaliseContextDir(next.contextDir ?? '.') !== original.contextDir) changed.contextDir = next.contextDir ?? '.';
  const watchPaths = normaliseWatchPaths(next.watchPaths ?? []);
  if (watchPaths.join('\n') !== original.watchPaths.join('\n')) changed.watchPaths = watchPaths;
  if (next.port !== original.port) changed.port = next.port;
  if (next.storageGb !== original.storageGb) changed.storageGb = next.storageGb;
  if (next.healthCheckPath !== original.healthCheckPath) changed.healthCheckPath = next.healthCheckPath;
  if (Object.keys(changed).length === 0) return { ok: false, errors: { _form: ['Nothing has changed.'] } };
  const result = updateServiceSchema.safeParse(changed);
  // Send `changed`, not `result.data`: the schema's `.default()`s survive
  // `.partial()` in zod 4 and would fill in fields the user did not touch.
  return result.success ? { ok: true, input: changed } : { ok: false, errors: issuesToFieldErrors(result.error.issues) };
}
