import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { CommitEffects } from '../state-repo/state-sink.js';
import { ApiException } from '@kubernetes/client-node';
import type { RegistryCredentials, TenantRegistries } from '../registry/tenant-registries.js';
import { dockerConfigJson, type ClusterSecrets } from './cluster-secrets.js';
import { buildSecretName, envSecretName } from '@dangus/gitops-writer/names';
import { bucketEnvOf, withBucketEnv } from '../object-storage/bucket-env.js';

/** Pull Secrets written at once by {@link TenantSecrets.writePullSecrets}. */
const PULL_SECRETS_AT_ONCE = 8;

/** The tenants' pull Secret: its name, and the registry credential each tenant's pods pull with. */
export interface PullSecretSettings {
  name: string;
  registryHost: string;
  registries: Pick<TenantRegistries, 'existing'>;
}

/**
 * The Secrets a tenant's commits need in the cluster, which the state repo never
 * holds: the env Secret and the tenant's image pull Secret, written before a commit
 * that rolls out new pods, and a deleted service's Secrets removed after the commit
 * that prunes it. The state-repo writer alone writes env Secrets, around a commit, for
 * every change that names them (a user's env change or rollback, the pipeline's rollout
 * or automatic rollback); the pull Secret is also written by the pipeline before a
 * build and by the controller for every tenant at its start.
 */
export class TenantSecrets implements CommitEffects {
  constructor(
    private readonly deps: {
      db: DataSource;
      encryptor: Encryptor;
      secrets: ClusterSecrets;
      logger: Logger;
      /** `null`: the platform has no registry credential, and writes no pull Secret. */
      pull?: PullSecretSettings | null;
    },
  ) {}

  /**
   * Writes the service's env Secret from the database (an env change, before its commit),
   * and its tenant's pull Secret: what the pods that read it need to start.
   */
  async writeEnvSecret(serviceId: string): Promise<void> {
    const rows: { name: string; project_id: string; namespace: string }[] = await this.deps.db.query(
      `SELECT s.name, s.project_id, p.namespace
         FROM services s JOIN projects p ON p.id = s.project_id WHERE s.id = $1`,
      [serviceId],
    );
    const service = rows[0];
    if (!service) return;
    const env: { key: string; value: string }[] = await this.deps.db.query(
      `SELECT key, value FROM env_vars WHERE service_id = $1 ORDER BY key`,
      [serviceId],
    );
    const namespace = service.namespace;
    // The bucket's variables (object storage) ride in the same Secret, never in git.
    const bucket = (await bucketEnvOf(this.deps.db, this.deps.encryptor, [serviceId])).get(serviceId);
    if (bucket instanceof Error) throw bucket;
    await this.deps.secrets.applyEnvSecret(
      namespace,
      envSecretName(service.name),
      serviceId,
      withBucketEnv(env.map((entry) => ({ key: entry.key, value: this.deps.encryptor.decrypt(entry.value) })), bucket),
    );
    await this.writePullSecret(service.project_id, namespace);
  }

  /**
   * Writes the tenant's pull Secret (`kubernetes.io/dockerconfigjson`, never in git) with
   * its registry credential: the one given (a build's, just made), else the tenant's own
   * robot or the shared credential. Nothing when the platform has none, or the tenant
   * has no robot yet (it has no image either).
   */
  async writePullSecret(projectId: string, namespace: string, credentials?: RegistryCredentials | null): Promise<void> {
    const pull = this.deps.pull;
    if (!pull) return;
    const registry = credentials ?? (await pull.registries.existing(projectId));
    if (!registry) return;
    await this.deps.secrets.applyPullSecret(namespace, pull.name, dockerConfigJson(pull.registryHost, registry));
  }

  /**
   * Every tenant's pull Secret, at the controller's start: an upgrade that adds the Secret
   * to Deployments rolls their pods, which must find it. One tenant's failure (its
   * namespace not applied yet, the cluster refusing) is logged and stops no other.
   */
  async writePullSecrets(): Promise<void> {
    if (!this.deps.pull) return;
    const tenants: { id: string; namespace: string }[] = await this.deps.db.query(`SELECT p.id, p.namespace FROM projects p`);
    // A few at a time: many tenants must not flood the API server at a start.
    for (let start = 0; start < tenants.length; start += PULL_SECRETS_AT_ONCE) {
      const batch = tenants.slice(start, start + PULL_SECRETS_AT_ONCE);
      const results = await Promise.allSettled(batch.map((t) => this.writePullSecret(t.id, t.namespace)));
      for (const [i, result] of results.entries()) {
        if (result.status === 'fulfilled' || (result.reason instanceof ApiException && result.reason.code === 404)) continue;
        this.deps.logger.warn({ projectId: batch[i]?.id, err: result.reason as unknown }, 'could not write the tenant pull Secret');
      }
    }
  }

  /**
   * A service was deleted: its env Secret and the Secrets of its builds still in
   * flight go too (the commit that prunes its workloads does not hold Secrets, and
   * the rows that named them are gone). Best effort: a Secret left behind stays in
   * its owner's namespace, which is pruned with the project.
   */
  async serviceDeleted(service: { namespace: string; name: string; buildShas: string[] }): Promise<void> {
    const names = [envSecretName(service.name), ...service.buildShas.map((sha) => buildSecretName(service.name, sha))];
    const results = await Promise.allSettled(names.map((name) => this.deps.secrets.deleteSecret(service.namespace, name)));
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') {
        this.deps.logger.warn({ namespace: service.namespace, secret: names[i], err: result.reason as unknown }, 'could not delete a Secret of a deleted service');
      }
    }
  }
}
