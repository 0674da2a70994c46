/**
 * Rendered project lists per user, each tagged with the `users.list_version`
 * it was read at. A request carries the current version (read with its
 * session), so a stale entry is never served, on any replica. Bounded LRU.
 */
export class ProjectListCache {
  private readonly entries = new Map<string, { version: string; body: string }>();

  constructor(private readonly maxEntries = 1000) {}

  get(userId: string, version: string): string | undefined {
    const entry = this.entries.get(userId);
    if (!entry || entry.version !== version) return undefined;
    // Re-insert: Map iteration order is the LRU order.
    this.entries.delete(userId);
    this.entries.set(userId, entry);
    return entry.body;
  }

  set(userId: string, version: string, body: string): void {
    this.entries.delete(userId);
    this.entries.set(userId, { version, body });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
