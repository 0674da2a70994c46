/**
 * Replicas and sizes against the project's ResourceQuota, checked before anything is
 * committed: every service's replicas × its pod (its size, requests = limits; or the
 * namespace's LimitRange defaults) plus one extra pod of the largest (the surge of a
 * rolling update) must fit the quota the platform renders for the namespace. A preview of a
 * pull request (issue 35) counts too, with a size of its own: one replica of the
 * LimitRange's default pod (what its Deployment gets: it names no size). A team's project
 * is held to the team quota (TEAM_NAMESPACE_QUOTA, issue 36), a person's to the platform's.
 */
import type { EntityManager } from 'typeorm';
import { ACTIVE_PREVIEW_STATES, type ServiceSizeDto } from '@dangus/common';
import { cpuMillicores, quantityValue } from '@dangus/gitops-writer/quantity';
import { ConflictError, ValidationError } from '../errors.js';

export interface Capacity {
  sizes: readonly ServiceSizeDto[];
  /** The namespace quota's hard values (settings of the rendered ResourceQuota). */
  quota: { requestsCpu: string; requestsMemory: string; limitsCpu: string; limitsMemory: string; pods: number };
  /** A team's projects' quota (TEAM_NAMESPACE_QUOTA, merged over `quota`); absent: the same as a person's. */
  teamQuota?: Capacity['quota'];
  /** The LimitRange defaults a pod without a size gets. */
  limitRange: { defaultCpu: string; defaultMemory: string; defaultRequestCpu: string; defaultRequestMemory: string };
}

/** A Kubernetes quantity as a number (CPU in millicores when `milli`, memory in bytes). */
export function quantity(text: string, milli = false): number {
  return milli ? cpuMillicores(text) : quantityValue(text);
}

export interface Pod {
  requestsCpu: number;
  requestsMemory: number;
  limitsCpu: number;
  limitsMemory: number;
}

/** The size named, or a 400 listing the sizes there are. */
export function sizeOf(capacity: Capacity, name: string): ServiceSizeDto {
  const size = capacity.sizes.find((candidate) => candidate.name === name);
  if (!size) {
    const names = capacity.sizes.map((s) => `${s.name} (${s.cpu} CPU, ${s.memory})`).join(', ');
    throw new ValidationError(`There is no size "${name}". Sizes: ${names}.`, { size: [`Not a size. Sizes: ${capacity.sizes.map((s) => s.name).join(', ')}.`] });
  }
  return size;
}

/** A pod's requests and limits: its size's, or the namespace's LimitRange defaults without one. */
export function podOf(capacity: Capacity, size: string | null): Pod {
  const found = size === null ? undefined : capacity.sizes.find((candidate) => candidate.name === size);
  if (found) {
    const cpu = quantity(found.cpu, true);
    const memory = quantity(found.memory);
    return { requestsCpu: cpu, requestsMemory: memory, limitsCpu: cpu, limitsMemory: memory };
  }
  const lr = capacity.limitRange;
  return {
    requestsCpu: quantity(lr.defaultRequestCpu, true),
    requestsMemory: quantity(lr.defaultRequestMemory),
    limitsCpu: quantity(lr.defaultCpu, true),
    limitsMemory: quantity(lr.defaultMemory),
  };
}

const cores = (milli: number) => `${String(Math.round(milli) / 1000)} CPU`;
const mib = (bytes: number) => `${String(Math.round(bytes / 1024 ** 2))} MiB`;

/** A service's replicas and size: what it takes of the quota. */
/** A preview's size: none, so the LimitRange's default pod (gitops-writer's render/preview.ts renders it so). */
export const PREVIEW_SIZE = null;

export interface Footprint {
  replicas: number;
  size: string | null;
}

/**
 * Checks the project's services, with `change` applied to one of them (or added, for a
 * new service), against the quota: a 409 naming what is short. A change that asks for no
 * more (no more replicas, the same size) passes, so a project over a lowered quota can
 * still shrink. Serialized per project: the project row stays locked to the end of the
 * caller's transaction, so two changes of a project (two services' PATCHes, a new
 * service) never both fit against the same rows. A caller that also locks a service row
 * locks it before (always the same order: no deadlock).
 */
export async function checkQuota(
  manager: EntityManager,
  capacity: Capacity,
  projectId: string,
  change: Footprint & { serviceId: string | null },
  /** Previews to add to the project's (a preview about to take a place): 0 for a service's change. */
  addPreviews = 0,
): Promise<void> {
  const short = await shortOf(manager, capacity, projectId, change, addPreviews);
  if (short.length > 0) {
    const what = short.map(([name, needed, hard, show]) => `${name}: ${show(needed)} needed, ${show(hard)} in the quota`).join('; ');
    throw new ConflictError(
      `The project's quota is too small for this (its services' and previews' pods, plus one more for a rolling update): ${what}.`,
      Object.fromEntries([['replicas', [`Short of ${short.map(([name]) => name).join(', ')}.`]]]),
    );
  }
}

/**
 * After a move (issue 36), inside its transaction with the project's new owner written: the
 * project as it is must fit the quota of its new space (a team's, or a person's), else a 409
 * on `to` naming what is short, and the move is rolled back.
 */
export async function checkQuotaOfSpace(manager: EntityManager, capacity: Capacity, projectId: string, space: string): Promise<void> {
  const short = await shortOf(manager, capacity, projectId, null, 0);
  if (short.length > 0) {
    const what = short.map(([name, needed, hard, show]) => `${name}: ${show(needed)} needed, ${show(hard)} in the quota`).join('; ');
    throw new ConflictError(
      `The quota of ${space} is too small for this project (its services' and previews' pods, plus one more for a rolling update): ${what}. Scale it down first.`,
      { to: [`Short of ${short.map(([name]) => name).join(', ')}.`] },
    );
  }
}

type Short = [string, number, number, (n: number) => string];

/** What the project's quota is short of with `change` applied (none: as it is), serialized on the project's row. */
async function shortOf(
  manager: EntityManager,
  capacity: Capacity,
  projectId: string,
  change: (Footprint & { serviceId: string | null }) | null,
  addPreviews: number,
): Promise<Short[]> {
  // The quota of the project's space: a team's projects get the team quota (issue 36).
  const [owner] = await manager.query<{ kind: string }[]>(
    `SELECT u.kind FROM projects p JOIN users u ON u.id = p.user_id WHERE p.id = $1 FOR UPDATE OF p`,
    [projectId],
  );
  const rows: (Footprint & { id: string })[] = await manager.query(`SELECT id, replicas, size FROM services WHERE project_id = $1`, [projectId]);
  const before = change ? rows.find((row) => row.id === change.serviceId) : undefined;
  if (change && addPreviews === 0 && before && change.replicas <= before.replicas && change.size === before.size) return [];
  const [previews] = await manager.query<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM previews p JOIN services s ON s.id = p.service_id WHERE s.project_id = $1 AND p.state = ANY($2)`,
    [projectId, ACTIVE_PREVIEW_STATES],
  );
  const services = rows
    .filter((row) => change === null || row.id !== change.serviceId)
    .concat(change ? [{ id: change.serviceId ?? 'new', ...change }] : [], { id: 'previews', replicas: (previews?.n ?? 0) + addPreviews, size: PREVIEW_SIZE })
    // No previews: nothing of theirs (not even the surge pod's size).
    .filter((service) => service.id !== 'previews' || service.replicas > 0);
  const total: Pod & { pods: number } = { requestsCpu: 0, requestsMemory: 0, limitsCpu: 0, limitsMemory: 0, pods: 0 };
  let largest: Pod = { requestsCpu: 0, requestsMemory: 0, limitsCpu: 0, limitsMemory: 0 };
  for (const service of services) {
    const pod = podOf(capacity, service.size);
    total.requestsCpu += service.replicas * pod.requestsCpu;
    total.requestsMemory += service.replicas * pod.requestsMemory;
    total.limitsCpu += service.replicas * pod.limitsCpu;
    total.limitsMemory += service.replicas * pod.limitsMemory;
    total.pods += service.replicas;
    if (pod.limitsCpu + pod.limitsMemory / 1024 ** 2 > largest.limitsCpu + largest.limitsMemory / 1024 ** 2) largest = pod;
  }
  const q = owner?.kind === 'team' && capacity.teamQuota ? capacity.teamQuota : capacity.quota;
  const checks: Short[] = [
    ['requests.cpu', total.requestsCpu + largest.requestsCpu, quantity(q.requestsCpu, true), cores],
    ['requests.memory', total.requestsMemory + largest.requestsMemory, quantity(q.requestsMemory), mib],
    ['limits.cpu', total.limitsCpu + largest.limitsCpu, quantity(q.limitsCpu, true), cores],
    ['limits.memory', total.limitsMemory + largest.limitsMemory, quantity(q.limitsMemory), mib],
    ['pods', total.pods + 1, q.pods, (n) => `${String(n)} pods`],
  ];
  return checks.filter(([, needed, hard]) => needed > hard);
}
