import { renderTenant, render, type RenderSettings, type StateRepo, type TemplateSet, type CommitResult } from '@dangus/gitops-writer';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import type { CommitEffects, PendingChange, StateSink, TenantChange } from './state-sink.js';
import type { TenantLoader } from './tenant-loader.js';

const PLATFORM_ACTOR = { name: 'Dangus Cloud', email: 'dangus@localhost', login: 'dangus' };

/**
 * The StateSink of a running api: re-renders the changed tenant from the
 * database and commits it to the state repo (one commit per intent; none when
 * the render did not change). Then tells the applier, if there is one.
 */
export class GitopsStateSink implements StateSink {
  /** The pipeline's cluster side, once it runs (it needs this sink to start). */
  effects: CommitEffects | undefined;
  /** The render settings, with the node addresses last reported. */
  private settings: RenderSettings;

  constructor(
    private readonly deps: {
      repo: StateRepo;
      loader: TenantLoader;
      settings: RenderSettings;
      templates: TemplateSet;
      logger: Logger;
      /** Called after every commit (the applier's notify). */
      onCommit?: (commit: string) => void;
    },
  ) {
    this.settings = deps.settings;
  }

  /**
   * The cluster's node addresses changed (NodeAddressWatch): every tenant's egress policy
   * denies the new ones, in one reconcile commit. Nothing when they are the same.
   */
  async nodeAddressesChanged(addresses: string[]): Promise<void> {
    if (addresses.join(',') === this.settings.nodeAddresses.join(',')) return;
    this.settings = { ...this.settings, nodeAddresses: addresses };
    await this.reconcile(`deny the nodes' addresses (${String(addresses.length)})`);
  }

  /**
   * Renders under the write's lock, from the database as it is then: two changes
   * of one tenant that interleave (two requests, two replicas) each commit a render
   * at least as new as the other's, so none removes what the other added.
   */
  async tenantChanged(change: TenantChange): Promise<void> {
    await this.commit(change);
  }

  /** Nothing to write in the transaction: this sink commits in `settle`, once the rows are there. */
  record(_manager: EntityManager, change: TenantChange): Promise<PendingChange> {
    return Promise.resolve({ change });
  }

  async settle(pending: PendingChange): Promise<void> {
    await this.commit(pending.change);
  }

  /**
   * Commits the change: the env Secret it needs is written first (the new pods read
   * the new values), and a deleted service's Secrets leave the cluster after.
   * Resolves with the commit, `null` when the render did not change.
   */
  async commit(change: TenantChange): Promise<string | null> {
    if (change.envSecretOf !== undefined && this.effects) {
      try {
        await this.effects.writeEnvSecret(change.envSecretOf);
      } catch (error) {
        // The namespace may not exist yet: the next rollout writes the Secret before its commit.
        this.deps.logger.warn({ serviceId: change.envSecretOf, err: error }, 'could not write the env Secret now');
      }
    }
    const render = async () => {
      const tenant = await this.deps.loader.load(change.projectId);
      return tenant ? renderTenant(tenant, this.settings, this.deps.templates) : null;
    };
    const result = await this.deps.repo.commitTenant(change.namespace, render, {
      verb: change.verb,
      summary: change.summary,
      service: change.serviceName ?? null,
      actor: {
        name: change.actor.githubUsername,
        email: `${change.actor.githubUsername}@users.noreply.github.com`,
        login: change.actor.githubUsername,
      },
      deploymentId: change.deploymentId ?? null,
      sourceCommit: change.sourceCommit ?? null,
    });
    this.committed(result);
    if (change.deletedService && this.effects) {
      await this.effects.serviceDeleted(change.deletedService).catch((error: unknown) => {
        this.deps.logger.warn({ service: change.deletedService?.name, err: error }, 'could not remove the deleted service\'s Secrets');
      });
    }
    return result.commit;
  }

  /**
   * Renders every tenant from the database and commits the difference as one
   * "reconcile" commit: heals a crash between a database write and its commit.
   */
  async reconcile(summary = 'render every tenant from the database'): Promise<CommitResult> {
    const files = async () => render({ settings: this.settings, tenants: await this.deps.loader.loadAll() }, this.deps.templates);
    const result = await this.deps.repo.commitAll(files, {
      verb: 'reconcile',
      summary,
      actor: PLATFORM_ACTOR,
    });
    this.committed(result);
    return result;
  }

  private committed(result: CommitResult): void {
    if (result.commit) {
      this.deps.logger.info({ commit: result.commit }, 'state repo committed');
      this.deps.onCommit?.(result.commit);
    }
  }
}
