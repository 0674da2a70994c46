import type { TenantFailureDto } from '@dangus/common';
import type { TenantInput } from '@dangus/gitops-writer';
import { ManifestValidationError, RenderInputError } from '@dangus/gitops-writer/errors';
import type { DataSource } from 'typeorm';

interface FailureRow {
  project_id: string;
  namespace: string;
  message: string;
  attempts: number;
  since: Date;
  last_at: Date;
}

/**
 * Why a tenant's changes do not reach the state repo (docs/architecture.md#failure-isolation):
 * one row per failing tenant, recorded by the controller when a render or commit of
 * the tenant fails and cleared by the tenant's next commit. The owner reads it on
 * the service, admins on the System page.
 */
export class TenantFailures {
  constructor(private readonly db: DataSource) {}

  async record(projectId: string, namespace: string, message: string): Promise<void> {
    await this.db.query(
      `INSERT INTO tenant_failures (project_id, namespace, message) VALUES ($1, $2, $3)
       ON CONFLICT (project_id) DO UPDATE
         SET namespace = excluded.namespace, message = excluded.message,
             attempts = tenant_failures.attempts + 1, last_at = now()`,
      [projectId, namespace, message.slice(0, 2000)],
    );
  }

  /** The tenants committed (or rendered) fine: nothing to report any more. */
  async clear(projectIds: readonly string[]): Promise<void> {
    if (projectIds.length === 0) return;
    await this.db.query(`DELETE FROM tenant_failures WHERE project_id = ANY($1::uuid[])`, [projectIds]);
  }

  /** Every failing tenant, longest failing first. */
  async list(): Promise<TenantFailureDto[]> {
    const rows: FailureRow[] = await this.db.query(`SELECT * FROM tenant_failures ORDER BY since, project_id`);
    return rows.map(toDto);
  }

  async of(projectId: string): Promise<TenantFailureDto | null> {
    const rows: FailureRow[] = await this.db.query(`SELECT * FROM tenant_failures WHERE project_id = $1`, [projectId]);
    return rows[0] ? toDto(rows[0]) : null;
  }
}

function toDto(row: FailureRow): TenantFailureDto {
  return {
    projectId: row.project_id,
    namespace: row.namespace,
    message: row.message,
    attempts: row.attempts,
    since: row.since.toISOString(),
    lastAt: row.last_at.toISOString(),
  };
}

/**
 * A plain sentence for the owner: which service and field the renderer refused
 * (`service "web", image: Not an image reference.`), or the error's own message.
 */
export function describeFailure(error: unknown, tenant: TenantInput | null): string {
  if (error instanceof RenderInputError) {
    const parts = Object.entries(error.fields).map(([path, messages]) => `${where(path, tenant)}: ${messages.join(' ')}`);
    return `Dangus Cloud cannot render this project's manifests (${parts.join('; ')}). Changes wait until this is fixed.`;
  }
  if (error instanceof ManifestValidationError) {
    return `Dangus Cloud rendered an invalid manifest for this project (${error.message}). Changes wait until this is fixed.`;
  }
  return `Dangus Cloud could not commit this project's changes: ${error instanceof Error ? error.message : String(error)}`;
}

/** `tenant.services.0.image` → `service "web", image`. */
function where(path: string, tenant: TenantInput | null): string {
  const [root, ...rest] = path.split('.');
  if (root === 'tenant' && rest[0] === 'services' && rest[1] !== undefined) {
    const name = tenant?.services[Number(rest[1])]?.name;
    const field = rest.slice(2).join('.');
    return `service ${name === undefined ? `#${rest[1]}` : JSON.stringify(name)}${field ? `, ${field}` : ''}`;
  }
  return root === 'tenant' ? rest.join('.') || 'project' : path;
}
