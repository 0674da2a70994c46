import { isNotFound, type ClusterClient, type LiveObject } from './cluster-client.js';
import {
  decodeInventoryParts,
  encodeInventoryParts,
  INVENTORY_DATA_KEY,
  inventoryParts,
  TornInventoryError,
  type Inventory,
} from './inventory.js';
import type { ManifestObject, ObjectRef } from './object-ref.js';

/** The inventory as stored: its head ConfigMap, the text of the head and each part, and what they hold. */
export interface StoredInventory {
  head: LiveObject | null;
  texts: (string | undefined)[];
  inventory: Inventory;
}

export interface InventoryStoreOptions {
  client: ClusterClient;
  /** Where the inventory ConfigMaps live (created when missing). */
  namespace: string;
  /** The head ConfigMap's name; part `n` is `{name}-{n}`. */
  name: string;
  /** Text of entries per ConfigMap before another part starts. */
  partBytes: number;
  logger: { warn(object: object, message: string): void };
}

/**
 * The inventory of what the applier applied, in ConfigMaps on the cluster: a small head
 * and parts (inventory.ts encodes them), read and written with as few calls as it can.
 */
export class InventoryStore {
  /** The inventory as this process last read or wrote it, valid while the head has `version`. */
  private cachedInventory: { version: string; texts: (string | undefined)[]; inventory: Inventory } | null = null;

  constructor(private readonly options: InventoryStoreOptions) {}

  /** The inventory's ConfigMap: the first part, or part `part` (`{name}-{part}`). */
  private ref(part = 0): ObjectRef {
    const name = part === 0 ? this.options.name : `${this.options.name}-${String(part)}`;
    return { group: '', apiVersion: 'v1', kind: 'ConfigMap', namespace: this.options.namespace, name };
  }

  /**
   * The inventory, and the text of its head and parts as stored. The head is read every
   * time; the parts only when the head is not the one this process last read or wrote.
   */
  async load(): Promise<StoredInventory> {
    const { client } = this.options;
    const head = await client.get(this.ref());
    const version = resourceVersionOf(head);
    if (version !== null && this.cachedInventory?.version === version) return { head, ...this.cachedInventory };
    const readParts = async () => {
      const data = [inventoryData(head)];
      for (let part = 1; part <= inventoryParts(data[0]); part += 1) data.push(inventoryData(await client.get(this.ref(part))));
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
        this.options.logger.warn({ err: again.message }, 'inventory parts disagree with its head: taking the parts as they are');
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
  async save(stored: StoredInventory, next: Inventory, counter: { writes: number }): Promise<string | null> {
    const { client, namespace } = this.options;
    const parts = encodeInventoryParts(next, this.options.partBytes, Math.max(0, stored.texts.length - 1));
    const texts = parts.map((data) => data[INVENTORY_DATA_KEY]);
    const apply = async (part: number): Promise<LiveObject> => {
      const configMap: ManifestObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: this.ref(part).name, namespace, labels: { 'app.kubernetes.io/component': 'applier-inventory' } },
        data: parts[part] ?? {},
      };
      try {
        counter.writes += 1;
        return await client.apply(configMap);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        counter.writes += 2;
        await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
        return await client.apply(configMap);
      }
    };
    // Until the head is written, what is stored is neither the old inventory nor the new one.
    this.cachedInventory = null;
    for (let part = 1; part < parts.length; part += 1) if (stored.texts[part] !== texts[part]) await apply(part);
    const head = stored.texts[0] === texts[0] ? stored.head : await apply(0);
    for (let part = parts.length; part < stored.texts.length; part += 1) {
      counter.writes += 1;
      await client.delete(this.ref(part));
    }
    const version = resourceVersionOf(head);
    this.cachedInventory = version === null ? null : { version, texts, inventory: next };
    return version;
  }
}

export function resourceVersionOf(object: LiveObject | null): string | null {
  const version = (object?.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  return typeof version === 'string' ? version : null;
}

function inventoryData(object: LiveObject | null): Record<string, string> | undefined {
  return (object?.data as Record<string, string> | undefined) ?? undefined;
}
