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
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '@dangus/gitops-writer/labels';
import { errorMessage, isNotFound, isObjectError, KubeClusterClient, liveKey, type ClusterClient, type LiveObject } from './cluster-client.js';
import { withoutForeignEditors } from './drift.js';
import { InvalidCommitError } from './errors.js';
import { LocalRepoSource, type StateSource } from './git-source.js';
import { healthOf, type Health, type HealthContext } from './health.js';
import {
  decodeInventoryParts,
  encodeInventoryParts,
  INVENTORY_DATA_KEY,
  INVENTORY_PART_BYTES,
  inventoryParts,
  TornInventoryError,
  mergeInventory,
  newInventory,
  type Inventory,
  type InventoryEntry,
} from './inventory.js';
import { parseManifests, type DesiredObject } from './manifests.js';
import { refString, tenantOf, type ManifestObject, type ObjectRef } from './object-ref.js';
import { applyPhases, prunePhases } from './order.js';
import { desiredInventory, planSync, type Step } from './plan.js';

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

export interface ObjectError {
  ref: ObjectRef;
  message: string;
}

export interface ObjectStatus {
  ref: ObjectRef;
  health: Health;
}

/** What one sync did. */
export interface SyncReport {
  commit: string | null;
  applied: number;
  unchanged: number;
  pruned: number;
  /** Jobs applied before and gone since: not re-created. */
  jobsNotRecreated: number;
  /** Calls that write to the cluster (applies, deletes, the inventory). */
  writes: number;
  errors: ObjectError[];
  durationMs: number;
}

/** What the api shows at `GET /api/system/applier`. */
export interface ApplierStatus {
  /** The last commit applied in full (every object applied, pruning done). */
  appliedCommit: string | null;
  /** When that sync finished (ISO 8601). */
  appliedAt: string | null;
  /** The head of the branch at the last attempt. */
  headCommit: string | null;
  lastAttemptAt: string | null;
  /** Why the last sync failed as a whole (invalid commit, unreachable apiserver), else `null`. */
  lastError: string | null;
  /** Per-object errors of the last sync. */
  errors: ObjectError[];
  /** Every object of the applied commit, with its health as last seen. */
  objects: ObjectStatus[];
  lastSync: SyncReport | null;
  /** When the next sync is due (ISO 8601), while started. */
  nextSyncAt: string | null;
}

const NO_LOGGER: ApplierLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

export class Applier {
  private readonly client: ClusterClient;
  private readonly source: StateSource;
  private readonly logger: ApplierLogger;
  private readonly inventoryNamespace: string;
  private readonly inventoryName: string;
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
  /** Our server-side-apply field manager: whose ownership is ours. */
  private readonly fieldManager: string;
  private readonly overrideManagers: readonly string[];
  /**
   * Manifests the apiserver refused (by key): retried with backoff (at once when
   * the manifest changes or the object is gone from the cluster).
   */
  private readonly refused = new Map<string, { hash: string; message: string; failures: number; retryAt: number }>();
  private readonly refusedRetryMs: number;
  private readonly driftPassMs: number;
  private readonly inventoryPartBytes: number;
  /**
   * Tenant → the tree id applied without an error. It stands for the cluster only while
   * the inventory is the one this process last saved (`inventoryVersion`).
   */
  private readonly appliedTrees = new Map<string, string>();
  private inventoryVersion: string | null = null;
  /** The inventory as this process last read or wrote it, valid while the head has `version`. */
  private cachedInventory: { version: string; texts: (string | undefined)[]; inventory: Inventory } | null = null;
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
    this.fieldManager = options.fieldManager ?? 'dangus-applier';
    this.overrideManagers = options.overrideManagers ?? ['kustomize-controller'];
    this.client = options.client ?? new KubeClusterClient(options.kube, this.fieldManager);
    this.source = typeof options.source === 'string' ? new LocalRepoSource({ dir: options.source }) : options.source;
    this.logger = options.logger ?? NO_LOGGER;
    this.inventoryNamespace = options.inventoryNamespace ?? 'dangus-system';
    this.inventoryName = options.inventoryName ?? 'dangus-applier-inventory';
    this.resyncIntervalMs = options.resyncIntervalMs ?? 60_000;
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.concurrency = options.concurrency ?? 8;
    this.refusedRetryMs = options.refusedRetryMs ?? 60_000;
    this.driftPassMs = options.driftPassMs ?? 10 * this.resyncIntervalMs;
    this.inventoryPartBytes = options.inventoryPartBytes ?? INVENTORY_PART_BYTES;
    this.now = options.now ?? (() => new Date());
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
    const stored = await this.loadInventory();
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
    const storedInventory = given?.stored ?? (await this.loadInventory());
    const stored = storedInventory.inventory;
    const inScope = (ref: ObjectRef) => scope === null || scope.has(tenantOf(ref));
    const inventory = { ...stored, entries: stored.entries.filter((e) => inScope(e.ref)) };
    const untouched = stored.entries.filter((e) => !inScope(e.ref));
    const live = await this.readLive([...objects.map((d) => d.ref), ...inventory.entries.map((e) => e.ref)], scope);

    // Decide, then apply phase by phase.
    const plan = planSync(objects, inventory, live);
    const result = report(commit, started);
    const applied: InventoryEntry[] = [];
    for (const phase of applyPhases(plan.steps.map((step) => ({ ...step, ref: step.item.ref })))) {
      await forEachLimited(phase, this.concurrency, async (step) => {
        const outcome = await this.carryOut(step, live, counter);
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
      const kept = await this.prune(plan.prune, result, counter);
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
    this.inventoryVersion = await this.saveInventory(storedInventory, next, counter);
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

  /**
   * The live objects by key: one list per kind of the managed label (the writer
   * labels everything; per namespace of the scope in a scoped sync, where cluster-wide
   * objects are read one by one), then a read of each object the lists missed.
   */
  private async readLive(refs: readonly ObjectRef[], scope: Set<string> | null): Promise<Map<string, LiveObject>> {
    const live = new Map<string, LiveObject>();
    const lists = new Map<string, { apiVersion: string; kind: string; namespace?: string }>();
    for (const ref of refs) {
      if (scope === null) lists.set(`${ref.apiVersion} ${ref.kind}`, { apiVersion: ref.apiVersion, kind: ref.kind });
      else if (ref.namespace !== '') lists.set(`${ref.apiVersion} ${ref.kind} ${ref.namespace}`, { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace });
    }
    await forEachLimited([...lists.values()], this.concurrency, async ({ apiVersion, kind, namespace }) => {
      try {
        for (const object of await this.client.list(apiVersion, kind, MANAGED_SELECTOR, namespace)) {
          const key = liveKey(apiVersion, kind, object);
          if (key !== null) live.set(key, object);
        }
      } catch (error) {
        // An unknown kind fails its objects' applies, reported per object.
        if (!isObjectError(error)) throw error;
      }
    });
    const missed = new Map<string, ObjectRef>();
    for (const ref of refs) {
      const key = liveKey(ref.apiVersion, ref.kind, { metadata: { name: ref.name, namespace: ref.namespace } });
      if (key !== null && !live.has(key)) missed.set(key, ref);
    }
    await forEachLimited([...missed.entries()], this.concurrency, async ([key, ref]) => {
      try {
        const object = await this.client.get(ref);
        if (object !== null) live.set(key, object);
      } catch (error) {
        if (!isObjectError(error)) throw error;
      }
    });
    return live;
  }

  private async carryOut(
    step: Step,
    live: Map<string, LiveObject>,
    counter: { writes: number },
  ): Promise<'applied' | 'unchanged' | 'job-gone' | { error: string }> {
    const { item } = step;
    if (step.action !== 'apply') return step.action;
    const refused = this.refused.get(item.key);
    const sameManifest = refused?.hash === item.hash;
    // Parked while its backoff runs, unless its manifest changed or someone deleted it.
    if (refused && sameManifest && live.has(item.key) && this.now().getTime() < refused.retryAt) return { error: refused.message };
    try {
      // Drift by hand or by another applier: take those fields back first (all of a
      // GitOps engine's we replace), so that list entries they added are replaced
      // rather than refused as duplicates.
      const current = live.get(item.key);
      const released = current === undefined ? null : withoutForeignEditors(current, item.object, this.fieldManager, this.overrideManagers);
      if (released !== null) {
        counter.writes += 1;
        await this.client.setManagedFields(item.ref, released);
      }
      counter.writes += 1;
      live.set(item.key, await this.client.apply(item.object));
      this.refused.delete(item.key);
      return 'applied';
    } catch (error) {
      if (!isObjectError(error)) throw error;
      const message = errorMessage(error);
      const failures = refused && sameManifest ? refused.failures + 1 : 1;
      const delay = Math.min(this.refusedRetryMs * 2 ** (failures - 1), 30 * 60_000);
      this.refused.set(item.key, { hash: item.hash, message, failures, retryAt: this.now().getTime() + delay });
      this.logger.warn({ object: refString(item.ref), err: message }, 'apply refused');
      return { error: message };
    }
  }

  /** Deletes `entries` in reverse apply order; returns those that could not be deleted. */
  private async prune(entries: InventoryEntry[], result: SyncReport, counter: { writes: number }): Promise<InventoryEntry[]> {
    const kept: InventoryEntry[] = [];
    for (const phase of prunePhases(entries)) {
      await forEachLimited(phase, this.concurrency, async (entry) => {
        try {
          counter.writes += 1;
          await this.client.delete(entry.ref);
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

  /** The inventory's ConfigMap: the first part, or part `part` (`{name}-{part}`). */
  private inventoryRef(part = 0): ObjectRef {
    const name = part === 0 ? this.inventoryName : `${this.inventoryName}-${String(part)}`;
    return { group: '', apiVersion: 'v1', kind: 'ConfigMap', namespace: this.inventoryNamespace, name };
  }

  /**
   * The inventory, and the text of its head and parts as stored. The head is read every
   * time; the parts only when the head is not the one this process last read or wrote.
   */
  private async loadInventory(): Promise<StoredInventory> {
    const head = await this.client.get(this.inventoryRef());
    const version = resourceVersionOf(head);
    if (version !== null && this.cachedInventory?.version === version) return { head, ...this.cachedInventory };
    const readParts = async () => {
      const data = [inventoryData(head)];
      for (let part = 1; part <= inventoryParts(data[0]); part += 1) data.push(inventoryData(await this.client.get(this.inventoryRef(part))));
      return data;
    };
    let data = await readParts();
    let inventory: Inventory;
    try {
      inventory = decodeInventoryParts(data);
    } catch (error) {
      if (!(error instanceof TornInventoryError)) throw error;
      // Another writer between the reads: read again. Still torn: a save stopped between
      // its parts and its head; the parts are the newer truth, and the next save heals it.
      data = await readParts();
      try {
        inventory = decodeInventoryParts(data);
      } catch (again) {
        if (!(again instanceof TornInventoryError)) throw again;
        this.logger.warn({ err: again.message }, 'inventory parts disagree with its head: taking the parts as they are');
        inventory = decodeInventoryParts(data, 'accept');
      }
    }
    const stored = { texts: data.map((d) => d?.[INVENTORY_DATA_KEY]), inventory };
    this.cachedInventory = version === null ? null : { version, ...stored };
    return { head, ...stored };
  }

  /**
   * Writes the parts of the inventory that changed, the head last (it carries a digest
   * of them all, so any change rewrites it), and deletes parts it no longer has;
   * creates its namespace on first use. Answers the head's resourceVersion.
   */
  private async saveInventory(stored: StoredInventory, next: Inventory, counter: { writes: number }): Promise<string | null> {
    const parts = encodeInventoryParts(next, this.inventoryPartBytes, Math.max(0, stored.texts.length - 1));
    const texts = parts.map((data) => data[INVENTORY_DATA_KEY]);
    const apply = async (part: number): Promise<LiveObject> => {
      const configMap: ManifestObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: this.inventoryRef(part).name, namespace: this.inventoryNamespace, labels: { 'app.kubernetes.io/component': 'applier-inventory' } },
        data: parts[part] ?? {},
      };
      try {
        counter.writes += 1;
        return await this.client.apply(configMap);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        counter.writes += 2;
        await this.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.inventoryNamespace } });
        return await this.client.apply(configMap);
      }
    };
    // Until the head is written, what is stored is neither the old inventory nor the new one.
    this.cachedInventory = null;
    for (let part = 1; part < parts.length; part += 1) if (stored.texts[part] !== texts[part]) await apply(part);
    const head = stored.texts[0] === texts[0] ? stored.head : await apply(0);
    for (let part = parts.length; part < stored.texts.length; part += 1) {
      counter.writes += 1;
      await this.client.delete(this.inventoryRef(part));
    }
    const version = resourceVersionOf(head);
    this.cachedInventory = version === null ? null : { version, texts, inventory: next };
    return version;
  }

  private async publish(commit: string, desired: DesiredObject[], live: Map<string, LiveObject>, result: SyncReport, scope: Set<string> | null): Promise<void> {
    const context = desired.some((d) => d.ref.kind === 'PersistentVolumeClaim') ? await this.storageContext() : {};
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

  private async storageContext(): Promise<HealthContext> {
    try {
      const classes = await this.client.list('storage.k8s.io/v1', 'StorageClass', '');
      const storageClasses = new Map<string, string>();
      let defaultStorageClass: string | undefined;
      for (const sc of classes) {
        const metadata = sc.metadata as { name?: string; annotations?: Record<string, string> } | undefined;
        if (metadata?.name === undefined) continue;
        storageClasses.set(metadata.name, typeof sc.volumeBindingMode === 'string' ? sc.volumeBindingMode : 'Immediate');
        if (metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true') defaultStorageClass = metadata.name;
      }
      return defaultStorageClass === undefined ? { storageClasses } : { storageClasses, defaultStorageClass };
    } catch (error) {
      this.logger.warn({ err: errorMessage(error) }, 'cannot list storage classes');
      return {};
    }
  }
}

type SyncMode = 'full' | 'changed' | 'resync';

/** The inventory as stored: its head ConfigMap, the text of the head and each part, and what they hold. */
interface StoredInventory {
  head: LiveObject | null;
  texts: (string | undefined)[];
  inventory: Inventory;
}

function resourceVersionOf(object: LiveObject | null): string | null {
  const version = (object?.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  return typeof version === 'string' ? version : null;
}

function report(commit: string | null, started: number): SyncReport {
  return { commit, applied: 0, unchanged: 0, pruned: 0, jobsNotRecreated: 0, writes: 0, errors: [], durationMs: Math.round(performance.now() - started) };
}

function inventoryData(object: LiveObject | null): Record<string, string> | undefined {
  return (object?.data as Record<string, string> | undefined) ?? undefined;
}

/** Runs `fn` over `items`, at most `limit` at a time; the first rejection rejects (after the others settle). */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async (): Promise<void> => {
    while (failures.length === 0 && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}
