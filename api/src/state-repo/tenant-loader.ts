import { SERVICE_CONFIG_FIELDS, pickFields, type ServiceConfig, type ServiceSizeDto } from '@dangus/common';
import type { ServiceInput, TenantInput } from '@dangus/gitops-writer';
import { buildSecretName } from '@dangus/gitops-writer/names';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { EnvRevision } from './env-revision.js';
import { bucketEnvOf, withBucketEnv } from '../object-storage/bucket-env.js';
import { serviceColumn } from '../db/entities/index.js';
import { namespaceHash } from '../db/project-namespace.js';
import { domainsForRender } from '../db/domains-repo.js';
import { loadPreviews } from './preview-loader.js';

/** Every configuration field, selected under its own name (`s.repo_url AS "repoUrl"`). */
const CONFIG_COLUMNS = SERVICE_CONFIG_FIELDS.map((field) => `s.${serviceColumn(field)} AS "${field}"`).join(', ');

/** A tenant whose rows cannot be read into a render input. */
export interface TenantLoadFailure {
  projectId: string;
  namespace: string;
  error: unknown;
}

interface TenantRow {
  project_id: string;
  project_name: string;
  /** The project's pinned namespace (db/project-namespace.ts): its owner today may be another. */
  namespace: string;
  /** Whether a team's account owns it today (its namespace then gets the team quota). */
  team: boolean;
}

/** A service's configuration (every field of the schema, under its own name) and what the render adds. */
interface ServiceRow extends ServiceConfig {
  id: string;
  project_id: string;
  host: string;
  restarted_at: Date | null;
  image_tag: string | null;
  current_deployment_id: string | null;
  build_id: string | null;
  build_sha: string | null;
}

/**
 * Reads what the renderer needs from the database: the render input is a pure
 * function of these rows (docs/architecture.md#the-state-repo: "the repo is a pure function of the database").
 */
export class TenantLoader {
  constructor(
    private readonly deps: {
      db: DataSource;
      encryptor: Encryptor;
      envRevision: EnvRevision;
      /** The operator's sizes (SERVICE_SIZES); a service whose size is not one of them gets the defaults. */
      sizes?: readonly ServiceSizeDto[];
    },
  ) {}

  /** One tenant, or `null` when the project no longer exists. */
  async load(projectId: string): Promise<TenantInput | null> {
    const tenants = await this.loadWhere('p.id = $1', [projectId]);
    return tenants[0] ?? null;
  }

  private resourcesOf(size: string | null): { cpu: string; memory: string } | null {
    const found = size === null ? undefined : this.deps.sizes?.find((candidate) => candidate.name === size);
    return found ? { cpu: found.cpu, memory: found.memory } : null;
  }

  /**
   * Every tenant that can be read (for a reconcile), and those that cannot (an env value that does
   * not decrypt): one tenant's bad row never stops the others' reconcile.
   */
  async loadEach(): Promise<{ tenants: TenantInput[]; failures: TenantLoadFailure[] }> {
    const failures: TenantLoadFailure[] = [];
    const tenants = await this.loadWhere('true', [], (tenant, error) => failures.push({ ...tenant, error }));
    return { tenants, failures };
  }

  /** Loads the tenants `where` selects; one that cannot be read throws, or goes to `onFailure` when given. */
  private async loadWhere(
    where: string,
    params: unknown[],
    onFailure?: (tenant: { projectId: string; namespace: string }, error: unknown) => void,
  ): Promise<TenantInput[]> {
    const db = this.deps.db;
    const tenants: TenantRow[] = await db.query(
      `SELECT p.id AS project_id, p.name AS project_name, p.namespace, u.kind = 'team' AS team
         FROM projects p JOIN users u ON u.id = p.user_id WHERE ${where} ORDER BY p.id`,
      params,
    );
    if (tenants.length === 0) return [];
    const ids = tenants.map((t) => t.project_id);
    // The image is the current deployment's; the build is the service's one
    // unfinished build (a newer one supersedes the others, builds.ts), once a pipeline
    // took it up (build_job_at): a push recorded while none runs (no cluster) has no Job.
    const services: ServiceRow[] = await db.query(
      `SELECT s.id, s.project_id, ${CONFIG_COLUMNS}, s.host, s.restarted_at,
              d.image_tag, d.id AS current_deployment_id, b.id AS build_id, b.commit_sha AS build_sha
         FROM services s
         LEFT JOIN deployments d ON d.id = s.current_deployment_id AND d.image_tag IS NOT NULL
         LEFT JOIN LATERAL (
           SELECT id, commit_sha FROM deployments
            WHERE service_id = s.id AND trigger <> 'config' AND status IN ('pending', 'building') AND build_job_at IS NOT NULL
            ORDER BY created_at DESC LIMIT 1
         ) b ON true
        WHERE s.project_id = ANY($1::uuid[]) ORDER BY s.name`,
      [ids],
    );
    const env: { service_id: string; key: string; value: string }[] = services.length
      ? await db.query(`SELECT service_id, key, value FROM env_vars WHERE service_id = ANY($1::uuid[])`, [
          services.map((s) => s.id),
        ])
      : [];
    const domains = await domainsForRender(db, services.map((s) => s.id));
    const previews = await loadPreviews(db, services.map((s) => s.id));
    const envByService = new Map<string, { key: string; value: string }[]>();
    const unreadable = new Map<string, unknown>();
    for (const row of env) {
      const list = envByService.get(row.service_id) ?? [];
      try {
        list.push({ key: row.key, value: this.deps.encryptor.decrypt(row.value) });
      } catch (error) {
        const service = services.find((s) => s.id === row.service_id);
        const failure = new Error(`the value of ${row.key} of service ${service?.name ?? row.service_id} cannot be decrypted`, { cause: error });
        if (!onFailure) throw failure;
        if (service) unreadable.set(service.project_id, failure);
      }
      envByService.set(row.service_id, list);
    }
    // The bucket's variables (object storage) count in the env revision: a rotation rolls out.
    const buckets = await bucketEnvOf(db, this.deps.encryptor, services.map((s) => s.id));
    for (const [serviceId, bucket] of buckets) {
      const service = services.find((s) => s.id === serviceId);
      if (bucket instanceof Error) {
        if (!onFailure) throw bucket;
        if (service) unreadable.set(service.project_id, bucket);
        continue;
      }
      envByService.set(serviceId, withBucketEnv(envByService.get(serviceId) ?? [], bucket));
    }
    const readable = tenants.filter((t) => {
      const error = unreadable.get(t.project_id);
      if (error !== undefined) onFailure?.({ projectId: t.project_id, namespace: t.namespace }, error);
      return error === undefined;
    });
    return readable.map((t) => ({
      project: { id: t.project_id, name: t.project_name },
      // The renderer's namespace is `{userHash}-{project}`: the pinned one's hash part.
      userHash: namespaceHash({ namespace: t.namespace, name: t.project_name }),
      namespace: t.namespace,
      // Only a team's project says so: a person's renders exactly as before teams existed.
      ...(t.team ? { team: true } : {}),
      services: services
        .filter((s) => s.project_id === t.project_id)
        .map((s): ServiceInput => {
          // The whole configuration as stored; the size goes to the renderer as what it names.
          const { size, ...config } = pickFields(s, SERVICE_CONFIG_FIELDS);
          return {
            id: s.id,
            ...config,
            domains: domains.get(s.id) ?? [],
            host: s.host,
            restartedAt: s.restarted_at?.toISOString() ?? null,
            resources: this.resourcesOf(size),
            envRevision: this.deps.envRevision.of(envByService.get(s.id) ?? []),
            image: s.image_tag,
            currentDeploymentId: s.image_tag ? s.current_deployment_id : null,
            build:
              s.build_id && s.build_sha
                ? {
                    deploymentId: s.build_id,
                    commitSha: s.build_sha,
                    gitTokenSecretName: buildSecretName(s.name, s.build_sha),
                    registrySecretName: buildSecretName(s.name, s.build_sha),
                  }
                : null,
            previews: previews.get(s.id) ?? [],
          };
        }),
    }));
  }
}
