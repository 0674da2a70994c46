import { useState } from 'react';
import type { RollbackPreviewDto } from '@dangus/common';
import { Button, ConfirmDialog, LoadingBlock } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { shortSha } from '../../../lib/format';
import { useRollback, useRollbackPreview } from '../api/rollback';
import type { DeploymentView } from '../api/deployments';

const FIELD_LABELS: Record<RollbackPreviewDto['config'][number]['field'], string> = {
  port: 'Port',
  healthCheckPath: 'Health check',
  storageGb: 'Storage (GB)',
  replicas: 'Replicas',
  size: 'Size',
  hsts: 'HSTS',
};

function shown(value: string | number | boolean | null): string {
  return value === null ? 'none' : typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value);
}

function Changes({ preview }: { preview: RollbackPreviewDto }) {
  const { env } = preview;
  const envChanges = env.added.length + env.removed.length + env.changed.length;
  return (
    <ul className="list-disc space-y-1 pl-5" aria-label="What the rollback changes">
      <li>
        Image: <code className="font-mono text-fg">{preview.commit.from ? shortSha(preview.commit.from) : 'none'}</code> →{' '}
        <code className="font-mono text-fg">{shortSha(preview.commit.to)}</code>
      </li>
      {preview.config.map((change) => (
        <li key={change.field}>
          {FIELD_LABELS[change.field]}: {shown(change.from)} → {shown(change.to)}
        </li>
      ))}
      {env.changed.length > 0 ? <li>Env values restored: {env.changed.join(', ')}</li> : null}
      {env.added.length > 0 ? <li>Env variables back: {env.added.join(', ')}</li> : null}
      {env.removed.length > 0 ? <li>Env variables removed: {env.removed.join(', ')}</li> : null}
      {preview.config.length === 0 && envChanges === 0 ? <li>Configuration and env values: unchanged</li> : null}
    </ul>
  );
}

/** "Roll back to this release", with a confirmation that shows what will change. */
export function RollbackButton({ deployment }: { deployment: DeploymentView }) {
  const [open, setOpen] = useState(false);
  const preview = useRollbackPreview(deployment.id, open);
  const rollback = useRollback(deployment.serviceId);
  const sha = shortSha(deployment.commitSha);
  return (
    <>
      <Button size="sm" onClick={() => setOpen(true)}>
        Roll back to this release
      </Button>
      <ConfirmDialog
        open={open}
        title={`Roll back to ${sha}?`}
        confirmLabel="Roll back"
        pending={rollback.isPending}
        error={rollback.error ? errorMessage(rollback.error) : preview.error ? errorMessage(preview.error) : undefined}
        onClose={() => {
          setOpen(false);
          rollback.reset();
        }}
        onConfirm={() => {
          rollback.mutate(deployment.id, { onSuccess: () => setOpen(false) });
        }}
      >
        <p>
          The release of {sha} runs again, with the configuration and env values it ran with: no build, one commit in the state
          repo.
        </p>
        {preview.isPending ? <LoadingBlock label="Comparing with the current release…" /> : null}
        {preview.data ? <Changes preview={preview.data} /> : null}
      </ConfirmDialog>
    </>
  );
}
