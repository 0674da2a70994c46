/**
 * The applier (issue 5): turns the head commit of the state repo into cluster
 * state, the way Flux's kustomize-controller does. One sync reads like a story:
 * load the commit and validate all of it, load the inventory and the live
 * objects, plan, apply in phases, prune, save the inventory, publish the status.
 * Syncs are serialized; `notify()` and the resync timer only ask for one.
 *
 * Only what changed: once a sync has applied a commit, the next ones compare each
 * tenant's git tree id (`tenants/<namespace>`) with the one applied and sync only the
 * tenants whose tree changed (or that failed, or left the repo), reading and writing
 * only their namespaces. The resync timer adds a slice of the other tenants each time,
 * so a full drift check passes over every tenant once per `driftPassMs`. Anything this
 * process cannot vouch for (its first sync, an inventory another applier wrote, a source
 * without tree ids) is a full sync.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ApplySteps } from './apply-steps.js';
import { errorMessage, KubeClusterClient, type ClusterClient, type LiveObject } from './cluster-client.js';
import { forEachLimited } from './each-limited.js';
import { InvalidCommitError } from './errors.js';
import { LocalRepoSource, type StateSource } from './git-source.js';
import { healthOf } from './health.js';
import { INVENTORY_PART_BYTES, mergeInventory, newInventory, type Inventory, type InventoryEntry } from './inventory.js';
import { InventoryStore, resourceVersionOf, type StoredInventory } from './inventory-store.js';
import { readLive, storageContext } from './live-objects.js';
import { parseManifests, type DesiredObject } from './manifests.js';
import { tenantOf, type ObjectRef } from './object-ref.js';
import { applyPhases } from './order.js';
import { desiredInventory, planSync } from './plan.js';
import { report, type ApplierStatus, type ObjectError, type SyncReport } from './sync-report.js';

/** The subset of a pino logger the applier uses. */
export interface ApplierLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ApplierOptions {
  kube: KubeConfig;
  /** The state repo: a local repository path, or any {@link StateSource}. */
  source: StateSource | string;
  logger?: ApplierLogger;
  /** Where the inventory ConfigMap lives (created when missing). Default `dangus-system`. */
  inventoryNamespace?: string;
  /** Default `dangus-applier-inventory`. */
  inventoryName?: string;
  /** Default `dangus-applier`. */
  fieldManager?: string;
  /**
   * Field managers whose whole set this applier takes over before it applies an
   * object (a GitOps engine it replaces): default Flux's `kustomize-controller`, so a
   * handover from Flux needs nothing but starting this applier.
   */
  overrideManagers?: readonly string[];
  /** Periodic resync, which also repairs drift. Default 60 s. */
  resyncIntervalMs?: number;
  /** First retry delay after a failed sync (doubles up to the resync interval). Default 1 s. */
  retryDelayMs?: number;
  /** Objects applied at once within a phase. Default 8. */
  concurrency?: number;
  /** First retry of an object the apiserver refused (doubles per refusal, up to 30 min). Default 60 s. */
  refusedRetryMs?: number;
  /**
   * How long one drift check of every tenant takes, spread over the resyncs (each
   * checks its share of the tenants). Default 10 × `resyncIntervalMs`.
   */
  driftPassMs?: number;
  /** Text of entries per inventory ConfigMap before another part starts. Default {@link INVENTORY_PART_BYTES}. */
  inventoryPartBytes?: number;
  /** Replaces the cluster client built from `kube` (tests wrap it). */
  client?: ClusterClient;
  /** The clock of the status's times and of the refused objects' backoff (tests move it). */
  now?: () => Date;
}

const NO_LOGGER: ApplierLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class Applier {
  private readonly client: ClusterClient;
  private readonly source: StateSource;
  private readonly logger: ApplierLogger;
  private readonly steps: ApplySteps;
  private readonly inventoryStore: InventoryStore;
  private readonly resyncIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly concurrency: number;
  private readonly now: () => Date;

  /** Serializes syncs; `queued` is the sync every caller that arrives meanwhile shares. */
  private chain: Promise<unknown> = Promise.resolve();
  private queued: { mode: SyncMode; run: Promise<SyncReport> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private failures = 0;
  private parsed: { commit: string; objects: DesiredObject[] } | null = null;
  private readonly driftPassMs: number;
  /**
   * Tenant → the tree id applied without an error. It stands for the cluster only while
   * the inventory is the one this process last saved (`inventoryVersion`).
   */
  private readonly appliedTrees = new Map<string, string>();
  private inventoryVersion: string | null = null;
  /** Where the next drift slice starts, in the sorted tenant names. */
  private driftCursor = 0;
  private current: ApplierStatus = {
    appliedCommit: null,
    appliedAt: null,
    headCommit: null,
    lastAttemptAt: null,
    lastError: null,
    errors: [],
    objects: [],
    lastSync: null,
    nextSyncAt: null,
  };

  constructor(options: ApplierOptions) {
    const fieldManager = options.fieldManager ?? 'dangus-applier';
    this.client = options.client ?? new KubeClusterClient(options.kube, fieldManager);
    this.source = typeof options.source === 'string' ? new LocalRepoSource({ dir: options.source }) : options.source;
    this.logger = options.logger ?? NO_LOGGER;
    this.resyncIntervalMs = options.resyncIntervalMs ?? 60_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.driftPassMs = options.driftPassMs ?? 10 * this.resyncIntervalMs;
    this.now = options.now ?? (() => new Date());
    this.steps = new ApplySteps({
      client: this.client,
      fieldManager,
      overrideManagers: options.overrideManagers ?? ['kustomize-controller'],
      refusedRetryMs: options.refusedRetryMs ?? 60_000,
      concurrency: this.concurrency,
      now: this.now,
      logger: this.logger,
    });
    this.inventoryStore = new InventoryStore({
      client: this.client,
      namespace: options.inventoryNamespace ?? 'dangus-system',
      name: options.inventoryName ?? 'dangus-applier-inventory',
      partBytes: options.inventoryPartBytes ?? INVENTORY_PART_BYTES,
      logger: this.logger,
    });
  }

  /** Syncs now, then every `resyncIntervalMs` (sooner after a failure, with backoff). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.schedule(0);
  }

  /** Stops the timer and waits for a sync under way. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.current = { ...this.current, nextSyncAt: null };
    await this.chain;
  }

  /** A commit was made: sync what changed as soon as the sync under way (if any) is done. Never throws. */
  notify(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    void this.triggered('changed');
  }

  /** A snapshot of the status. */
  status(): ApplierStatus {
    return structuredClone(this.current);
  }

  /**
   * Syncs all of the head commit (or joins the full sync already queued). Rejects when
   * the sync failed as a whole: invalid commit, unreadable repo, unreachable apiserver.
   */
  sync(): Promise<SyncReport> {
    return this.enqueue('full');
  }

  /**
   * Syncs the tenants whose tree changed since the commit applied (`changed`), plus the
   * resync's slice of the others (`resync`); a full sync when this process cannot tell.
   */
  syncChanged(withDriftSlice = false): Promise<SyncReport> {
    return this.enqueue(withDriftSlice ? 'resync' : 'changed');
  }

  private enqueue(mode: SyncMode): Promise<SyncReport> {
    // A queued sync covers this one when it is full, or of the same kind.
    if (this.queued !== null && (this.queued.mode === 'full' || this.queued.mode === mode)) return this.queued.run;
    const run = this.chain.then(() => {
      if (this.queued?.run === run) this.queued = null;
      return this.syncOnce(mode);
    });
    this.queued = { mode, run };
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async triggered(mode: 'changed' | 'resync' = 'resync'): Promise<void> {
    try {
      await this.enqueue(mode);
      this.failures = 0;
      this.schedule(this.resyncIntervalMs);
    } catch (error) {
      this.failures += 1;
      const delay = Math.min(this.resyncIntervalMs, this.retryDelayMs * 2 ** Math.min(this.failures - 1, 16));
      this.logger.warn({ err: errorMessage(error), retryInMs: delay }, 'applier sync failed');
      this.schedule(delay);
    }
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.triggered();
    }, delayMs);
    this.timer.unref();
    this.current = { ...this.current, nextSyncAt: new Date(this.now().getTime() + delayMs).toISOString() };
  }

  private async syncOnce(mode: SyncMode): Promise<SyncReport> {
    const started = performance.now();
    this.current = { ...this.current, lastAttemptAt: this.now().toISOString() };
    try {
      const report = mode === 'full' ? await this.syncCommit(started, null) : await this.syncScoped(started, mode === 'resync');
      this.current = { ...this.current, lastError: null, errors: report.errors, lastSync: report };
      return report;
    } catch (error) {
      this.current = { ...this.current, lastError: errorMessage(error) };
      throw error;
    }
  }

  /**
   * The tenants to sync: those whose tree changed since it was applied, that failed, or
   * that left the repo, and on a resync its slice of the rest. A full sync instead when
   * the applied trees do not stand for the cluster (see `appliedTrees`).
   */
  private async syncScoped(started: number, withDriftSlice: boolean): Promise<SyncReport> {
    const commit = await this.source.resolve();
    this.current = { ...this.current, headCommit: commit };
    if (commit === null) return report(null, started);
    if (this.source.tenantTrees === undefined || this.inventoryVersion === null) return this.syncCommit(started, { commit });
    const trees = await this.source.tenantTrees(commit);
    const stored = await this.inventoryStore.load();
    if (resourceVersionOf(stored.head) !== this.inventoryVersion) return this.syncCommit(started, { commit, trees, stored });
    const scope = new Set<string>();
    for (const [tenant, tree] of trees) if (this.appliedTrees.get(tenant) !== tree) scope.add(tenant);
    for (const entry of stored.inventory.entries) {
      const tenant = tenantOf(entry.ref);
      if (!trees.has(tenant)) scope.add(tenant);
    }
    if (withDriftSlice && trees.size > 0) {
      const names = [...trees.keys()].sort();
      const slice = Math.min(names.length, Math.ceil((names.length * this.resyncIntervalMs) / this.driftPassMs));
      for (let i = 0; i < slice; i += 1) scope.add(names[(this.driftCursor + i) % names.length] as string);
      this.driftCursor = (this.driftCursor + slice) % names.length;
    }
    return this.syncCommit(started, { commit, trees, stored, scope });
  }

  /**
   * Syncs `commit` (the head when not given): every tenant, or only `scope`'s. A
   * scoped sync plans, applies and prunes within those tenants' namespaces and keeps
   * every other inventory entry as it is.
   */
  private async syncCommit(
    started: number,
    given: { commit: string; trees?: Map<string, string>; stored?: StoredInventory; scope?: Set<string> } | null,
  ): Promise<SyncReport> {
    // Load and validate all of the commit (or of the tenants in scope) before touching anything.
    const commit = given?.commit ?? (await this.source.resolve());
    this.current = { ...this.current, headCommit: commit };
    if (commit === null) return report(null, started);
    let scope = given?.scope ?? null;
    const desired = scope === null ? await this.desiredObjects(commit) : await this.tenantObjects(commit, scope);
    if (desired === null) scope = null; // an object outside its tenant's namespace: sync everything
    const objects = desired ?? (await this.desiredObjects(commit));
    const trees = given?.trees ?? (this.source.tenantTrees ? await this.source.tenantTrees(commit) : null);

    // Load what was applied before and what is there now.
    const counter = { writes: 0 };
    const storedInventory = given?.stored ?? (await this.inventoryStore.load());
    const stored = storedInventory.inventory;
    const inScope = (ref: ObjectRef) => scope === null || scope.has(tenantOf(ref));
    const inventory = { ...stored, entries: stored.entries.filter((e) => inScope(e.ref)) };
    const untouched = stored.entries.filter((e) => !inScope(e.ref));
    const live = await readLive(this.client, [...objects.map((d) => d.ref), ...inventory.entries.map((e) => e.ref)], scope, this.concurrency);

    // Decide, then apply phase by phase.
    const plan = planSync(objects, inventory, live);
    const result = report(commit, started);
    const applied: InventoryEntry[] = [];
    for (const phase of applyPhases(plan.steps.map((step) => ({ ...step, ref: step.item.ref })))) {
      await forEachLimited(phase, this.concurrency, async (step) => {
        const outcome = await this.steps.carryOut(step, live, counter);
        if (outcome === 'applied') {
          result.applied += 1;
          applied.push({ ref: step.item.ref, hash: step.item.hash });
        } else if (outcome === 'unchanged') result.unchanged += 1;
        else if (outcome === 'job-gone') result.jobsNotRecreated += 1;
        else result.errors.push({ ref: step.item.ref, message: outcome.error });
      });
    }

    let next: Inventory;
    if (result.errors.length === 0) {
      // Every object applied: prune what left the repo; what fails to go stays owned.
      const kept = await this.steps.prune(plan.prune, result, counter);
      // A namespace that did not go still holds the objects that were to go with it.
      const keptNamespaces = new Set(kept.filter((e) => e.ref.kind === 'Namespace').map((e) => e.ref.name));
      const stranded = plan.prunedWithNamespace.filter((e) => keptNamespaces.has(e.ref.namespace));
      next = newInventory(commit, [...untouched, ...desiredInventory(commit, objects).entries, ...kept, ...stranded]);
    } else {
      // Some objects failed: record what was applied (a Job must stay "applied
      // once"), prune nothing, and keep every older entry.
      next = mergeInventory({ ...stored, entries: [...untouched, ...inventory.entries] }, newInventory(commit, applied));
      next = { ...next, commit: null };
    }
    this.inventoryVersion = await this.inventoryStore.save(storedInventory, next, counter);
    this.rememberTrees(trees, scope, result.errors);

    result.writes = counter.writes;
    result.durationMs = Math.round(performance.now() - started);
    await this.publish(commit, objects, live, result, scope);
    this.logger.info({ ...result, errors: result.errors.length, tenants: scope === null ? 'all' : scope.size }, 'applier synced');
    return result;
  }

  /** The tenants synced without an error now stand at their trees; the others will be synced again. */
  private rememberTrees(trees: Map<string, string> | null, scope: Set<string> | null, errors: ObjectError[]): void {
    if (trees === null) {
      this.inventoryVersion = null;
      return;
    }
    const failed = new Set(errors.map((e) => tenantOf(e.ref)));
    if (scope === null) this.appliedTrees.clear();
    for (const tenant of scope ?? trees.keys()) {
      const tree = trees.get(tenant);
      if (tree !== undefined && !failed.has(tenant)) this.appliedTrees.set(tenant, tree);
      else this.appliedTrees.delete(tenant);
    }
  }

  /** The objects of `tenants`, or null when one of them is not in its tenant's namespace. */
  private async tenantObjects(commit: string, tenants: Set<string>): Promise<DesiredObject[] | null> {
    const parsed = parseManifests(await this.source.files(commit, tenants));
    if (!parsed.ok) throw new InvalidCommitError(commit, parsed.problems);
    const outside = parsed.objects.some((object) => tenantOf(object.ref) !== object.path.split('/')[1]);
    return outside ? null : parsed.objects;
  }

  private async desiredObjects(commit: string): Promise<DesiredObject[]> {
    if (this.parsed?.commit === commit) return this.parsed.objects;
    const parsed = parseManifests(await this.source.files(commit));
    if (!parsed.ok) throw new InvalidCommitError(commit, parsed.problems);
    this.parsed = { commit, objects: parsed.objects };
    return parsed.objects;
  }

  private async publish(commit: string, desired: DesiredObject[], live: Map<string, LiveObject>, result: SyncReport, scope: Set<string> | null): Promise<void> {
    const context = desired.some((d) => d.ref.kind === 'PersistentVolumeClaim') ? await storageContext(this.client, this.logger) : {};
    const fresh = desired.map((d) => ({ ref: d.ref, health: healthOf(live.get(d.key) ?? null, context) }));
    // A scoped sync saw only its tenants: the others' objects keep their last health.
    const objects = scope === null ? fresh : [...this.current.objects.filter((o) => !scope.has(tenantOf(o.ref))), ...fresh];
    const complete = result.errors.length === 0;
    this.current = {
      ...this.current,
      objects,
      appliedCommit: complete ? commit : this.current.appliedCommit,
      appliedAt: complete ? this.now().toISOString() : this.current.appliedAt,
    };
  }
}

type SyncMode = 'full' | 'changed' | 'resync';
