/**
 * A pasted `.env` file: its preview (which keys it adds, changes or leaves) and its
 * import, every variable in one transaction, one commit and one rollout. Variables the
 * file does not name are kept, as Render's and Vercel's imports keep them.
 */
import { importEnvSchema, type EnvImportDto } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import { ConflictError, ValidationError } from '../errors.js';
import { EnvVarEntity } from '../db/entities/index.js';
import { lockService } from '../db/services-repo.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { readEnvFile, type EnvFileEntry } from './env-file.js';
import { envChange } from './env-vars.js';
import { checkEnvSetLimits } from './limits.js';
import { findOwnedService } from './services.js';
import { parseInput, uniqueViolation } from './validate.js';

interface Plan {
  added: EnvFileEntry[];
  changed: (EnvFileEntry & { id: string })[];
  unchanged: string[];
  kept: { key: string; value: string }[];
}

/** The file's variables, or a 400 whose `fields.dotenv` has one message per bad line: nothing is read further. */
function entriesOf(input: unknown): EnvFileEntry[] {
  const { dotenv } = parseInput(importEnvSchema, input);
  const { entries, errors } = readEnvFile(dotenv);
  if (errors.length > 0) {
    throw new ValidationError(`The .env text has ${errors.length === 1 ? 'a bad line' : 'bad lines'}: nothing was changed.`, { dotenv: errors });
  }
  return entries;
}

async function planOf(ctx: UseCaseContext, manager: EntityManager, serviceId: string, entries: EnvFileEntry[]): Promise<Plan> {
  const rows = await manager.getRepository(EnvVarEntity).find({ where: { serviceId }, order: { key: 'ASC' } });
  const existing = new Map(rows.map((row) => [row.key, row]));
  const named = new Set(entries.map((e) => e.key));
  const plan: Plan = { added: [], changed: [], unchanged: [], kept: [] };
  for (const entry of entries) {
    const row = existing.get(entry.key);
    if (!row) plan.added.push(entry);
    else if (ctx.encryptor.decrypt(row.value) === entry.value) plan.unchanged.push(entry.key);
    else plan.changed.push({ ...entry, id: row.id });
  }
  for (const row of rows) if (!named.has(row.key)) plan.kept.push({ key: row.key, value: ctx.encryptor.decrypt(row.value) });
  return plan;
}

function toDto(plan: Plan, applied: boolean, deploymentId: string | null): EnvImportDto {
  const keys = (list: { key: string }[]) => list.map((e) => e.key).sort();
  return { added: keys(plan.added), changed: keys(plan.changed), unchanged: [...plan.unchanged].sort(), kept: keys(plan.kept), applied, deploymentId };
}

/** The commit's summary: the keys while they are few, else their counts. */
function summaryOf(plan: Plan): string {
  const added = plan.added.map((e) => e.key);
  const changed = plan.changed.map((e) => e.key);
  if (added.length + changed.length <= 5) {
    return ['import', [added.length > 0 ? `set ${added.join(', ')}` : '', changed.length > 0 ? `update ${changed.join(', ')}` : ''].filter(Boolean).join('; ')].join(' ');
  }
  return `import ${String(added.length)} new, ${String(changed.length)} changed variables`;
}

/** What importing the text would do, by key; nothing is written. */
export async function previewEnvImport(ctx: UseCaseContext, user: CurrentUser, serviceId: string, input: unknown): Promise<EnvImportDto> {
  const entries = entriesOf(input);
  const { service } = await findOwnedService(ctx, user, serviceId);
  return toDto(await planOf(ctx, ctx.db.manager, service.id, entries), false, null);
}

/**
 * Imports the text: added and changed variables in one transaction (the service's row
 * locked, the plan made again under the lock, the limits checked on the whole set), one
 * intent, so one commit and one rollout. A file that changes nothing writes nothing.
 */
export async function importEnv(ctx: UseCaseContext, user: CurrentUser, serviceId: string, input: unknown): Promise<EnvImportDto> {
  const entries = entriesOf(input);
  const owned = await findOwnedService(ctx, user, serviceId);
  const before = await planOf(ctx, ctx.db.manager, owned.service.id, entries);
  if (before.added.length === 0 && before.changed.length === 0) return toDto(before, false, null);
  try {
    const { value: plan, rollout } = await envChange(ctx, user, owned, summaryOf, async (manager) => {
      await lockService(manager, owned.service.id);
      const plan = await planOf(ctx, manager, owned.service.id, entries);
      checkEnvSetLimits(ctx, user, [...plan.kept, ...entries]);
      const repo = manager.getRepository(EnvVarEntity);
      if (plan.added.length > 0) {
        await repo.insert(plan.added.map((e) => ({ serviceId: owned.service.id, key: e.key, value: ctx.encryptor.encrypt(e.value) })));
      }
      for (const e of plan.changed) await repo.update({ id: e.id }, { value: ctx.encryptor.encrypt(e.value) });
      return plan;
    });
    return toDto(plan, true, rollout?.id ?? null);
  } catch (error) {
    if (uniqueViolation(error) === 'env_vars_service_id_key_key') throw new ConflictError('A variable of this file was added meanwhile: preview the import again.');
    throw error;
  }
}
