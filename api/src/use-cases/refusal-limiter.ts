/**
 * How many refused deliveries of one service are recorded: a burst, then a
 * steady rate (a token bucket per service, in this process). Past it a refused
 * delivery is still answered, just not written, so a flood of forged posts
 * costs the database nothing while genuine deliveries keep working.
 */
export class RefusalLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst = 120,
    private readonly perSecond = 2,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token of the service's bucket; false when it is empty. */
  take(serviceId: string): boolean {
    const now = this.now();
    const bucket = this.buckets.get(serviceId) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.delete(serviceId); // re-inserted last: the map's order is least recently used first
    this.buckets.set(serviceId, bucket);
    const oldest = this.buckets.keys().next().value;
    if (this.buckets.size > 10_000 && oldest !== undefined) this.buckets.delete(oldest);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
