import { TooManyRequestsError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from '../use-cases/context.js';
import { limitFor } from '../use-cases/limits.js';

/**
 * At most `limit` requests of one user under way at once in this process (a setting: 0 is
 * none, admins as LIMITS_EXEMPT_ADMINS says). Past it the request is refused before any
 * work: a 429 whose Retry-After is `retryAfterSeconds`.
 */
export class UserConcurrency {
  private readonly running = new Map<string, number>();

  constructor(
    private readonly ctx: UseCaseContext,
    private readonly limit: number,
    private readonly refusal: (max: number) => string,
    private readonly retryAfterSeconds = 1,
  ) {}

  async run<T>(user: CurrentUser, task: () => Promise<T>): Promise<T> {
    const max = limitFor(this.ctx, user, this.limit);
    const count = this.running.get(user.id) ?? 0;
    if (max !== null && count >= max) throw new TooManyRequestsError(this.refusal(max), this.retryAfterSeconds);
    this.running.set(user.id, count + 1);
    try {
      return await task();
    } finally {
      const left = (this.running.get(user.id) ?? 1) - 1;
      if (left <= 0) this.running.delete(user.id);
      else this.running.set(user.id, left);
    }
  }
}
