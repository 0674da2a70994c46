import type { DeploymentStatus } from '@dangus/common';

/** The four colours a status may have (docs/architecture.md#code-conventions: a colour and a word). */
export type StatusTone = 'ok' | 'warn' | 'bad' | 'idle';

export interface StatusLook {
  tone: StatusTone;
  /** The word shown next to the colour, so colour is never the only signal. */
  label: string;
  /** Whether the status is still moving (shows a pulse, keeps polling). */
  inProgress: boolean;
}

const LOOKS: Record<DeploymentStatus, StatusLook> = {
  pending: { tone: 'idle', label: 'Pending', inProgress: true },
  building: { tone: 'warn', label: 'Building', inProgress: true },
  deploying: { tone: 'warn', label: 'Deploying', inProgress: true },
  live: { tone: 'ok', label: 'Live', inProgress: false },
  failed: { tone: 'bad', label: 'Failed', inProgress: false },
};

/**
 * How a deployment status looks: green live, yellow building/deploying,
 * red failed, grey pending; `null` (never deployed) is grey "Not deployed".
 */
export function statusLook(status: DeploymentStatus | null | undefined): StatusLook {
  if (status == null) return { tone: 'idle', label: 'Not deployed', inProgress: false };
  return LOOKS[status];
}

/** Whether a deployment in this status may still change (so keep it live). */
export function isInProgress(status: DeploymentStatus | null | undefined): boolean {
  return statusLook(status).inProgress;
}

export type StatusCounts = Partial<Record<DeploymentStatus | 'none', number>>;

/** Counts services by the status of their current deployment. */
export function countStatuses(statuses: ReadonlyArray<DeploymentStatus | null>): StatusCounts {
  const counts: StatusCounts = {};
  for (const status of statuses) {
    const key = status ?? 'none';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * The short line a project card shows: "2 live · 1 building · 1 failed".
 * Building and deploying count together as "building", as a person would say.
 */
export function summarizeCounts(counts: StatusCounts): Array<{ tone: StatusTone; label: string }> {
  const parts: Array<{ tone: StatusTone; label: string }> = [];
  const live = counts.live ?? 0;
  const building = (counts.building ?? 0) + (counts.deploying ?? 0);
  const failed = counts.failed ?? 0;
  const waiting = (counts.pending ?? 0) + (counts.none ?? 0);
  if (live) parts.push({ tone: 'ok', label: `${live} live` });
  if (building) parts.push({ tone: 'warn', label: `${building} building` });
  if (failed) parts.push({ tone: 'bad', label: `${failed} failed` });
  if (waiting) parts.push({ tone: 'idle', label: `${waiting} pending` });
  return parts;
}
