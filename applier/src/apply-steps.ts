import { errorMessage, isObjectError, type ClusterClient, type LiveObject } from './cluster-client.js';
import { withoutForeignEditors } from './drift.js';
import { forEachLimited } from './each-limited.js';
import type { InventoryEntry } from './inventory.js';
import { refString, type ObjectRef } from './object-ref.js';
import { prunePhases } from './order.js';
import type { Step } from './plan.js';

export interface ApplyStepsOptions {
  client: ClusterClient;
  /** Our server-side-apply field manager: whose ownership is ours. */
  fieldManager: string;
  /** Field managers whose whole set this applier takes over before it applies an object. */
  overrideManagers: readonly string[];
  /** First retry of an object the apiserver refused (doubles per refusal, up to 30 min). */
  refusedRetryMs: number;
  /** Objects deleted at once within a prune phase. */
  concurrency: number;
  now: () => Date;
  logger: { warn(object: object, message: string): void };
}

/**
 * The writes of a sync, one object at a time: a planned step carried out (its foreign
 * fields taken back, then applied), with a backoff for a manifest the apiserver refused,
 * and the prune of what left the repo.
 */
export class ApplySteps {
  /**
   * Manifests the apiserver refused (by key): retried with backoff (at once when
   * the manifest changes or the object is gone from the cluster).
   */
  private readonly refused = new Map<string, { hash: string; message: string; failures: number; retryAt: number }>();

  constructor(private readonly options: ApplyStepsOptions) {}

  async carryOut(
    step: Step,
    live: Map<string, LiveObject>,
    counter: { writes: number },
  ): Promise<'applied' | 'unchanged' | 'job-gone' | { error: string }> {
    const { client, now } = this.options;
    const { item } = step;
    if (step.action !== 'apply') return step.action;
    const refused = this.refused.get(item.key);
    const sameManifest = refused?.hash === item.hash;
    // Parked while its backoff runs, unless its manifest changed or someone deleted it.
    if (refused && sameManifest && live.has(item.key) && now().getTime() < refused.retryAt) return { error: refused.message };
    try {
      // Drift by hand or by another applier: take those fields back first (all of a
      // GitOps engine's we replace), so that list entries they added are replaced
      // rather than refused as duplicates.
      const current = live.get(item.key);
      const released = current === undefined ? null : withoutForeignEditors(current, item.object, this.options.fieldManager, this.options.overrideManagers);
      if (released !== null) {
        counter.writes += 1;
        await client.setManagedFields(item.ref, released);
      }
      counter.writes += 1;
      live.set(item.key, await client.apply(item.object));
      this.refused.delete(item.key);
      return 'applied';
    } catch (error) {
      if (!isObjectError(error)) throw error;
      const message = errorMessage(error);
      const failures = refused && sameManifest ? refused.failures + 1 : 1;
      const delay = Math.min(this.options.refusedRetryMs * 2 ** (failures - 1), 30 * 60_000);
      this.refused.set(item.key, { hash: item.hash, message, failures, retryAt: now().getTime() + delay });
      this.options.logger.warn({ object: refString(item.ref), err: message }, 'apply refused');
      return { error: message };
    }
  }

  /** Deletes `entries` in reverse apply order; returns those that could not be deleted. */
  async prune(
    entries: InventoryEntry[],
    result: { pruned: number; errors: { ref: ObjectRef; message: string }[] },
    counter: { writes: number },
  ): Promise<InventoryEntry[]> {
    const kept: InventoryEntry[] = [];
    for (const phase of prunePhases(entries)) {
      await forEachLimited(phase, this.options.concurrency, async (entry) => {
        try {
          counter.writes += 1;
          await this.options.client.delete(entry.ref);
          result.pruned += 1;
        } catch (error) {
          if (!isObjectError(error)) throw error;
          kept.push(entry);
          result.errors.push({ ref: entry.ref, message: `prune failed: ${errorMessage(error)}` });
        }
      });
    }
    return kept;
  }
}
