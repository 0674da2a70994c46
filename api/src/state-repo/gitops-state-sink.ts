import {
  renderEach,
  renderTenant,
  type CommitResult,
  type RenderSettings,
  type StateRepo,
  type TemplateSet,
  type TenantInput,
} from '@dangus/gitops-writer';
import type { Logger } from 'pino';
import { DeposedError } from './durable-state.js';
import type { CommitEffects, TenantChange } from './state-sink.js';
import { describeFailure, type TenantFailures } from './tenant-failures.js';
import type { TenantLoader } from './tenant-loader.js';

/** What a reconcile did: its commit, and the tenants it left as they were because they failed. */
export interface ReconcileResult extends CommitResult {
  failed: string[];
}

const PLATFORM_ACTOR = { name: 'Dangus Cloud', email: 'dangus@localhost', login: 'dangus' };

/**
 * The leading controller's writer, the target of the outbox's intents (coordination/outbox.ts):
 * re-renders the changed tenant from the database and commits it to the state repo (one
 * commit per intent; none when the render did not change). Then tells the applier, if
 * there is one. Nothing else commits a change: use cases and the pipeline record intents.
 */
export class GitopsStateSink {
  /** The render settings, with the node addresses last reported. */
  private settings: RenderSettings;

  constructor(
    private readonly deps: {
      repo: StateRepo;
      loader: TenantLoader;
      settings: RenderSettings;
      templates: TemplateSet;
      /** Where a tenant whose render or commit fails is reported (docs/architecture.md#failure-isolation). */
      failures: TenantFailures;
      logger: Logger;
      /** The Secrets around a commit (env before it, a deleted service's after it); none without a cluster. */
      effects?: CommitEffects;
      /** Called after every commit (the applier's notify). */
      onCommit?: (commit: string) => void;
      /**
       * The tenants whose changes wait in the outbox: a reconcile keeps their files,
       * so their intents commit them as their own (coordination/outbox.ts).
       */
      pending?: () => Promise<{ projectId: string; namespace: string }[]>;
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
   * Commits the change, rendering the tenant under the write's lock from the database as
   * it is then (two changes of one tenant that interleave each commit a render at least as
   * new as the other's, so none removes what the other added). The env Secret it needs is
   * written first, the only place it is written (the new pods read the new values), and a
   * deleted service's Secrets leave the cluster after. Resolves with the commit
   * (`commit: null` when the render did not change) and the head.
   */
  async commit(change: TenantChange): Promise<CommitResult> {
    if (change.envSecretOf !== undefined && this.deps.effects) {
      try {
        await this.deps.effects.writeEnvSecret(change.envSecretOf);
      } catch (error) {
        // A change that rolls a deployment out must not start pods without their values:
        // it fails, and its intent is tried again. Otherwise the namespace may not exist yet
        // (nothing was built): the first rollout writes the Secret before its commit.
        if (change.deploymentId !== undefined) throw error;
        this.deps.logger.warn({ serviceId: change.envSecretOf, err: error }, 'could not write the env Secret now');
      }
    }
    let tenant: TenantInput | null = null;
    const render = async () => {
      tenant = await this.deps.loader.load(change.projectId);
      return tenant ? renderTenant(tenant, this.settings, this.deps.templates) : null;
    };
    let result: CommitResult;
    try {
      result = await this.deps.repo.commitTenant(change.namespace, render, {
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
    } catch (error) {
      // Reported on the tenant, and only there: the caller retries this tenant alone.
      if (!(error instanceof DeposedError)) await this.report(change.projectId, change.namespace, describeFailure(error, tenant));
      throw error;
    }
    await this.deps.failures.clear([change.projectId]);
    this.committed(result);
    if (change.deletedService && this.deps.effects) {
      await this.deps.effects.serviceDeleted(change.deletedService).catch((error: unknown) => {
        this.deps.logger.warn({ service: change.deletedService?.name, err: error }, 'could not remove the deleted service\'s Secrets');
      });
    }
    return result;
  }

  /**
   * Renders every tenant from the database and commits the difference as one
   * "reconcile" commit: heals a crash between a database write and its commit.
   * A tenant that cannot be read or rendered keeps the files it has in the repo and
   * is reported; the others are reconciled (docs/architecture.md#failure-isolation).
   * A tenant with a change in the outbox keeps its files too: its intent commits the
   * change under its own author and subject, never the platform's reconcile.
   */
  async reconcile(summary = 'render every tenant from the database'): Promise<ReconcileResult> {
    const failed: { projectId: string; namespace: string; message: string }[] = [];
    const rendered: string[] = [];
    const files = async () => {
      const loaded = await this.deps.loader.loadEach();
      // Read after the tenants (under the write's lock no intent is committed in between):
      // a change whose rows the load saw has its intent here.
      const pending = (await this.deps.pending?.()) ?? [];
      const waiting = new Set(pending.map((p) => p.projectId));
      const tenants = loaded.tenants.filter((t) => !waiting.has(t.project.id));
      const each = renderEach({ settings: this.settings, tenants }, this.deps.templates);
      failed.length = 0;
      for (const f of loaded.failures) failed.push({ ...f, message: describeFailure(f.error, null) });
      for (const f of each.failures) {
        failed.push({ ...f, message: describeFailure(f.error, tenants.find((t) => t.project.id === f.projectId) ?? null) });
      }
      const failedIds = new Set(failed.map((f) => f.projectId));
      rendered.splice(0, rendered.length, ...tenants.map((t) => t.project.id).filter((id) => !failedIds.has(id)));
      return { files: each.files, keep: [...new Set([...failed.map((f) => f.namespace), ...pending.map((p) => p.namespace)])] };
    };
    const result = await this.deps.repo.commitAll(files, {
      verb: 'reconcile',
      summary,
      actor: PLATFORM_ACTOR,
    });
    this.committed(result);
    await this.deps.failures.clear(rendered);
    for (const f of failed) await this.report(f.projectId, f.namespace, f.message);
    return { ...result, failed: failed.map((f) => f.namespace) };
  }

  private async report(projectId: string, namespace: string, message: string): Promise<void> {
    this.deps.logger.error({ projectId, namespace, reason: message }, 'a tenant cannot be committed: its changes wait, other tenants go on');
    await this.deps.failures.record(projectId, namespace, message).catch((error: unknown) => {
      this.deps.logger.warn({ projectId, err: error }, 'could not record why a tenant fails');
    });
  }

  private committed(result: CommitResult): void {
    if (result.commit) {
      this.deps.logger.info({ commit: result.commit }, 'state repo committed');
      this.deps.onCommit?.(result.commit);
    }
  }
}
