import { randomBytes } from 'node:crypto';
import { tenantHarborProject } from '@dangus/gitops-writer/names';
import type { RegistryStatusDto } from '@dangus/common';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { Config } from '../config/config.js';
import { BundledRegistryApi } from './bundled-registry.js';
import { HttpHarborApi, type HarborApi } from './harbor-api.js';
import { RegistryTokens } from './registry-tokens.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** What the System page says about registry isolation (its schema is in common). */
export type RegistryStatus = RegistryStatusDto;

export const SHARED_REGISTRY_WARNING = 'builds share one registry credential: tenants are not isolated';

/**
 * The registry credential of each tenant. With Harbor's admin settings, every
 * tenant (project namespace) gets a Harbor project and a robot account allowed
 * to push and pull there only, made on its first build and kept encrypted; its
 * build Secrets and its image pull Secret use it, so one tenant's build can
 * neither overwrite nor read another's images. Without them, every build gets
 * the one configured credential, and the platform says so loudly.
 */
export class TenantRegistries {
  constructor(
    private readonly deps: {
      db: DataSource;
      encryptor: Encryptor;
      logger: Logger;
      /** `null`: the shared mode. */
      harbor: HarborApi | null;
      settings: { harborProject: string; shared: RegistryCredentials | null };
      /** The bundled registry's token server (REGISTRY_MODE=bundled); absent otherwise. */
      tokens?: RegistryTokens;
    },
  ) {}

  /** The token server of the bundled registry, or null when images live elsewhere. */
  get tokens(): RegistryTokens | null {
    return this.deps.tokens ?? null;
  }

  get status(): RegistryStatus {
    return this.deps.harbor ? { mode: 'per-tenant', warning: null } : { mode: 'shared', warning: SHARED_REGISTRY_WARNING };
  }

  /**
   * The credential a build (and the pulls) of this tenant use. Made once per
   * tenant: concurrent first builds wait on the project row, and the second one
   * finds the first one's robot.
   */
  async credentialsFor(projectId: string, namespace: string): Promise<RegistryCredentials | null> {
    const harbor = this.deps.harbor;
    if (!harbor) return this.deps.settings.shared;
    return this.deps.db.transaction(async (manager) => {
      const locked = await manager.query<{ id: string }[]>(`SELECT id FROM projects WHERE id = $1 FOR UPDATE`, [projectId]);
      if (locked.length === 0) throw new Error(`project ${projectId} is gone`);
      const [row] = await manager.query<{ robot_name: string; robot_secret: string }[]>(
        `SELECT robot_name, robot_secret FROM tenant_registries WHERE project_id = $1`,
        [projectId],
      );
      if (row) return { username: row.robot_name, password: this.deps.encryptor.decrypt(row.robot_secret) };
      const project = tenantHarborProject({ harborProject: this.deps.settings.harborProject, registryLayout: 'per-tenant' }, namespace);
      await harbor.ensureProject(project);
      // A fresh name each time: a robot made by an attempt that died before its row
      // was written must not block this one (Harbor refuses a second robot of one name).
      const robot = await harbor.createRobot(project, `builder-${randomBytes(3).toString('hex')}`);
      await manager.query(
        `INSERT INTO tenant_registries (project_id, harbor_project, robot_id, robot_name, robot_secret) VALUES ($1, $2, $3, $4, $5)`,
        [projectId, project, robot.id, robot.name, this.deps.encryptor.encrypt(robot.secret)],
      );
      this.deps.logger.info({ projectId, harborProject: project, robot: robot.name }, 'tenant registry created');
      return { username: robot.name, password: robot.secret };
    });
  }

  /** The credential already made for this tenant (or the shared one), never making one: for redaction. */
  async existing(projectId: string): Promise<RegistryCredentials | null> {
    if (!this.deps.harbor) return this.deps.settings.shared;
    const [row] = await this.deps.db.query<{ robot_name: string; robot_secret: string }[]>(
      `SELECT robot_name, robot_secret FROM tenant_registries WHERE project_id = $1`,
      [projectId],
    );
    return row ? { username: row.robot_name, password: this.deps.encryptor.decrypt(row.robot_secret) } : null;
  }

  /**
   * The tenant is being deleted: its robot and its Harbor project (images
   * included) go. Call before the project row is deleted (its registry row goes
   * with it). A failure is logged and leaves the Harbor side for the operator.
   */
  /**
   * Deletes a deployed image from its tenant's Harbor project. False when the platform
   * cannot (the shared mode has no Harbor admin account: images stay).
   */
  async deleteImage(imageTag: string): Promise<boolean> {
    const harbor = this.deps.harbor;
    const location = imageLocation(imageTag);
    if (!harbor || !location) return false;
    await harbor.deleteArtifact(location.project, location.repository, location.digest);
    return true;
  }

  async forget(projectId: string): Promise<void> {
    const harbor = this.deps.harbor;
    if (!harbor) return;
    const [row] = await this.deps.db.query<{ harbor_project: string; robot_id: string }[]>(
      `SELECT harbor_project, robot_id FROM tenant_registries WHERE project_id = $1`,
      [projectId],
    );
    if (!row) return;
    try {
      await harbor.deleteRobot(Number(row.robot_id));
      await harbor.deleteProject(row.harbor_project);
    } catch (error) {
      this.deps.logger.error({ projectId, harborProject: row.harbor_project, err: error }, 'could not delete the tenant registry in Harbor');
    }
  }
}

/**
 * Harbor project, repository (within the project) and digest of a deployed image reference
 * `host[:port]/project/repo…:tag@sha256:…`; null when it is not one.
 */
export function imageLocation(imageTag: string): { project: string; repository: string; digest: string } | null {
  const [name = '', digest = ''] = imageTag.split('@');
  const slash = name.indexOf('/');
  const colon = name.lastIndexOf(':');
  const path = (colon > name.lastIndexOf('/') ? name.slice(0, colon) : name).slice(slash + 1).split('/');
  if (slash === -1 || path.length < 2 || !/^sha256:[0-9a-f]{64}$/.test(digest)) return null;
  return { project: path[0] ?? '', repository: path.slice(1).join('/'), digest };
}

/**
 * The registries as the config says: per tenant with the bundled registry (its token
 * server is this platform) or with Harbor's admin settings, else shared.
 */
export function tenantRegistriesOf(
  config: Pick<Config, 'harborProject' | 'registryCredentials' | 'harborAdmin'> & Partial<Pick<Config, 'registry'>>,
  db: DataSource,
  encryptor: Encryptor,
  logger: Logger,
): TenantRegistries {
  const registry = config.registry;
  if (registry?.mode === 'bundled' && registry.url) {
    const tokens = new RegistryTokens({ db, encryptor, logger, settings: { service: registry.tokenService, issuer: registry.tokenIssuer } });
    return new TenantRegistries({
      db,
      encryptor,
      logger,
      harbor: new BundledRegistryApi({ url: registry.url, tokens }),
      settings: { harborProject: config.harborProject, shared: null },
      tokens,
    });
  }
  return new TenantRegistries({
    db,
    encryptor,
    logger,
    harbor: config.harborAdmin ? new HttpHarborApi(config.harborAdmin) : null,
    settings: { harborProject: config.harborProject, shared: config.registryCredentials },
  });
}
