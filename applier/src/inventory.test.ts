import { describe, expect, it } from '@jest/globals';
import {
  decodeInventory, decodeInventoryParts, diffInventory, emptyInventory, encodeInventory, encodeInventoryParts, inventoryParts, mergeInventory, newInventory,
  TornInventoryError, type InventoryEntry,
} from './inventory.js';

function entry(kind: string, name: string, hash = 'h1', namespace = 'ns'): InventoryEntry {
  return { ref: { group: kind === 'Deployment' ? 'apps' : '', apiVersion: kind === 'Deployment' ? 'apps/v1' : 'v1', kind, namespace, name }, hash };
}

describe('inventory', () => {
  it('newInventory sorts by key and keeps the last entry of a key', () => {
    const inv = newInventory('c1', [entry('Service', 'b'), entry('Service', 'a'), entry('Service', 'b', 'h2')]);
    expect(inv.entries.map((e) => [e.ref.name, e.hash])).toEqual([['a', 'h1'], ['b', 'h2']]);
  });

  it.each([
    ['nothing left', [entry('Service', 'a')], [entry('Service', 'a')], []],
    ['an object left', [entry('Service', 'a'), entry('Deployment', 'a')], [entry('Service', 'a')], ['Deployment a']],
    ['a changed hash is not a prune', [entry('Service', 'a', 'h1')], [entry('Service', 'a', 'h2')], []],
    ['same name, other namespace', [entry('Service', 'a', 'h1', 'x')], [entry('Service', 'a', 'h1', 'y')], ['Service a']],
    ['everything left', [entry('Service', 'a'), entry('Namespace', 'ns', 'h', '')], [], ['Namespace ns', 'Service a']],
  ])('diffInventory: %s', (_case, before, after, pruned) => {
    const diff = diffInventory(newInventory('c1', before), newInventory('c2', after));
    expect(diff.map((e) => `${e.ref.kind} ${e.ref.name}`).sort()).toEqual(pruned);
  });

  it('mergeInventory is the union, the second winning', () => {
    const merged = mergeInventory(newInventory('c1', [entry('Service', 'a'), entry('Service', 'b')]), newInventory('c2', [entry('Service', 'b', 'h9'), entry('Service', 'c')]));
    expect(merged.entries.map((e) => `${e.ref.name}:${e.hash}`)).toEqual(['a:h1', 'b:h9', 'c:h1']);
    expect(merged.commit).toBeNull();
  });

  it('survives a round trip through ConfigMap data', () => {
    const inv = newInventory('c1', [entry('Service', 'a'), entry('Deployment', 'web')]);
    expect(decodeInventory(encodeInventory(inv))).toEqual(inv);
    expect(decodeInventory(encodeInventory(emptyInventory()))).toEqual(emptyInventory());
    expect(decodeInventory(undefined)).toEqual(emptyInventory());
  });

  it('rejects data that is not an inventory', () => {
    expect(() => decodeInventory({ 'inventory.json': '{"entries": 3}' })).toThrow();
  });

  describe('in parts', () => {
    const many = newInventory(
      'c2',
      Array.from({ length: 40 }, (_, i): InventoryEntry => ({
        ref: { group: 'apps', apiVersion: 'apps/v1', kind: 'Deployment', namespace: `t${String(i).padStart(2, '0')}`, name: 'web' },
        hash: `h${String(i)}`,
      })),
    );

    it('splits a large inventory into parts by tenant under the size, behind a small head, and reads it back whole', () => {
      const parts = encodeInventoryParts(many, 1_000);
      expect(parts.length).toBeGreaterThan(3);
      expect(parts[0]?.['inventory.json']?.length ?? 0).toBeLessThan(200);
      for (const part of parts.slice(1)) expect(part['inventory.json']?.length ?? 0).toBeLessThan(1_100);
      expect(inventoryParts(parts[0])).toBe(parts.length - 1);
      expect(decodeInventoryParts(parts)).toEqual(many);
    });

    it('a change to one tenant rewrites the head and that tenant\'s part alone', () => {
      const before = encodeInventoryParts(many, 1_000);
      const changed = newInventory('c3', many.entries.map((e) => (e.ref.namespace === 't07' ? { ...e, hash: 'new' } : e)));
      const after = encodeInventoryParts(changed, 1_000, before.length - 1);
      expect(after).toHaveLength(before.length);
      const rewritten = after.map((data, i) => i).filter((i) => after[i]?.['inventory.json'] !== before[i]?.['inventory.json']);
      expect(rewritten).toHaveLength(2);
      expect(rewritten[0]).toBe(0);
      expect(decodeInventoryParts(after)).toEqual(changed);
    });

    it('refuses parts that do not belong together (read while another sync wrote), or a missing part', () => {
      const parts = encodeInventoryParts(many, 1_000);
      const changed = encodeInventoryParts(newInventory('c3', many.entries.map((e) => ({ ...e, hash: `${e.hash}x` }))), 1_000, parts.length - 1);
      expect(() => decodeInventoryParts([parts[0], ...changed.slice(1)])).toThrow(TornInventoryError);
      expect(() => decodeInventoryParts(parts.slice(0, -1))).toThrow(TornInventoryError);
    });

    it('takes the parts as they are when asked (a save that stopped between its parts and its head)', () => {
      const before = encodeInventoryParts(many, 1_000);
      const changed = newInventory('c3', many.entries.map((e) => (e.ref.namespace === 't07' ? { ...e, hash: 'new' } : e)));
      const after = encodeInventoryParts(changed, 1_000, before.length - 1);
      const halfway = [before[0], ...after.slice(1)];
      expect(() => decodeInventoryParts(halfway)).toThrow(TornInventoryError);
      expect(decodeInventoryParts(halfway, 'accept').entries).toEqual(changed.entries);
    });

    it('reads an inventory written before parts existed', () => {
      const old = { 'inventory.json': JSON.stringify({ commit: 'c1', entries: many.entries.slice(0, 2) }) };
      expect(decodeInventoryParts([old])).toEqual(newInventory('c1', many.entries.slice(0, 2)));
      expect(decodeInventory(encodeInventory(many))).toEqual(many);
    });
  });
});
