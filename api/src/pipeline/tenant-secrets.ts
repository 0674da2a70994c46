import { namespaceFor } from '@dangus/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { CommitEffects } from '../state-repo/state-sink.js';
import type { ClusterSecrets } from './cluster-secrets.js';
import { buildSecretName, envSecretName } from '@dangus/gitops-writer/names';

/**
 * The Secrets a tenant's commits need in the cluster, which the state repo never
 * holds: the env Secret written before a commit that rolls out new values, and a
 * deleted service's Secrets removed after the commit that prunes it. Used by the
 * state-repo writer around a commit, for every change that names them (a user's env
 * change or rollback, the pipeline's rollout or automatic rollback): nothing else writes them.
 */
export class TenantSecrets implements CommitEffects {
  constructor(
    private readonly deps: { db: DataSource; encryptor: Encryptor; secrets: ClusterSecrets; logger: Logger },
  ) {}

  /** Writes the service's env Secret from the database (an env change, before its commit). */
  async writeEnvSecret(serviceId: string): Promise<void> {
    const rows: { name: string; project_name: string; user_hash: string }[] = await this.deps.db.query(
      `SELECT s.name, p.name AS project_name, u.hash AS user_hash
         FROM services s JOIN projects p ON p.id = s.project_id JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
      [serviceId],
    );
    const service = rows[0];
    if (!service) return;
    const env: { key: string; value: string }[] = await this.deps.db.query(
      `SELECT key, value FROM env_vars WHERE service_id = $1 ORDER BY key`,
      [serviceId],
    );
    await this.deps.secrets.applyEnvSecret(
      namespaceFor(service.user_hash, service.project_name),
      envSecretName(service.name),
      serviceId,
      env.map((entry) => ({ key: entry.key, value: this.deps.encryptor.decrypt(entry.value) })),
    );
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
