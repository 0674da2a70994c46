import type { EntityManager } from 'typeorm';
import type { TenantChange } from '../state-repo/state-sink.js';
import type { UseCaseContext } from './context.js';

/**
 * A user change as one PostgreSQL transaction (docs/architecture.md#process-roles): `work`
 * writes the rows and says which tenant changed and why; the intent is recorded in the
 * same transaction (the outbox), so the change and its intent commit together or not
 * at all. Once committed, the state sink settles it: commits it here (one process), or
 * waits for the controller's commit (the api role).
 */
export async function changeState<T>(
  ctx: UseCaseContext,
  work: (manager: EntityManager) => Promise<{ value: T; change: TenantChange }>,
): Promise<T> {
  const { value, pending } = await ctx.db.transaction(async (manager) => {
    const done = await work(manager);
    return { value: done.value, pending: await ctx.stateSink.record(manager, done.change) };
  });
  await ctx.stateSink.settle(pending);
  return value;
}
