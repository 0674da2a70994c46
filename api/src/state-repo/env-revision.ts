import { createHmac, hkdfSync } from 'node:crypto';

/**
 * The env-revision annotation of a Deployment (docs/architecture.md#the-state-repo): a keyed
 * HMAC of the service's env values, so that an env change is a commit and a
 * rollout while no value, nor a plain hash one could brute-force, enters git.
 */
export class EnvRevision {
  private readonly key: Buffer;

  constructor(encryptionKey: Buffer) {
    // A key of its own, derived from the encryption key: the HMAC never reuses it directly.
    this.key = Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), 'dangus env-revision v1', 32));
  }

  /** `hmac-sha256:{hex}` over the key/value pairs in key order. */
  of(vars: readonly { key: string; value: string }[]): string {
    const hmac = createHmac('sha256', this.key);
    for (const { key, value } of [...vars].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      // Length-prefixed, so that no pair of values can collide by shifting a separator.
      hmac.update(`${key.length}:${key}${value.length}:${value}\n`);
    }
    return `hmac-sha256:${hmac.digest('hex')}`;
  }
}
