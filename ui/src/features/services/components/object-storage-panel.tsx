import type { BucketDto, ObjectStorageDto } from '@dangus/common';
import { OBJECT_STORAGE_ENV_KEYS } from '@dangus/common';
import { useState } from 'react';
import { Alert, Badge, Button, ConfirmDialog, CopyField, LoadingBlock, Section } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { formatAbsolute, formatRelative } from '../../../lib/format';
import {
  useDeleteBucketNow,
  useDisableObjectStorage,
  useEnableObjectStorage,
  useObjectStorage,
  useRotateObjectStorageKey,
} from '../api/object-storage';
import { PanelError } from './unavailable';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB" (powers of 1024, as S3 clients show sizes). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? String(value) : value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit] ?? 'B'}`;
}

function Usage({ bucket }: { bucket: BucketDto }) {
  if (!bucket.usage) return <span className="text-muted">{bucket.usageError ?? 'Not known'}</span>;
  const { bytes, objects } = bucket.usage;
  return (
    <span>
      {formatBytes(bytes)} in {objects} {objects === 1 ? 'object' : 'objects'}
    </span>
  );
}

function BucketFacts({ bucket }: { bucket: BucketDto }) {
  return (
    <div className="space-y-4">
      <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
        <div className="space-y-1.5">
          <p className="text-sm font-medium">Bucket</p>
          <CopyField value={bucket.bucket} label="bucket name" />
        </div>
        <div className="space-y-1.5">
          <p className="text-sm font-medium">Endpoint</p>
          <CopyField value={bucket.endpoint} label="S3 endpoint" />
        </div>
      </div>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-6 gap-y-2 text-sm">
        <dt className="text-muted">State</dt>
        <dd>
          {bucket.state === 'active' ? <Badge tone="ok">In use</Badge> : <Badge tone="warn">Kept</Badge>}
        </dd>
        <dt className="text-muted">Usage</dt>
        <dd>
          <Usage bucket={bucket} />
        </dd>
        <dt className="text-muted">Region</dt>
        <dd>{bucket.region}</dd>
        {bucket.accessKeyId && (
          <>
            <dt className="text-muted">Access key</dt>
            <dd>
              <code className="font-mono">{bucket.accessKeyId}</code>
            </dd>
          </>
        )}
        {bucket.deleteAfter && (
          <>
            <dt className="text-muted">Deleted</dt>
            <dd>
              <time dateTime={bucket.deleteAfter} title={formatAbsolute(bucket.deleteAfter)}>
                {formatRelative(bucket.deleteAfter)}
              </time>{' '}
              unless storage is enabled again
            </dd>
          </>
        )}
      </dl>
    </div>
  );
}

function Actions({ serviceId, storage }: { serviceId: string; storage: ObjectStorageDto }) {
  const enable = useEnableObjectStorage(serviceId);
  const rotate = useRotateObjectStorageKey(serviceId);
  const disable = useDisableObjectStorage(serviceId);
  const deleteNow = useDeleteBucketNow(serviceId);
  const [confirm, setConfirm] = useState<'disable' | 'delete' | null>(null);
  const bucket = storage.bucket;
  const failed = [enable, rotate, disable].find((m) => m.error)?.error;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap gap-2">
        {bucket?.state !== 'active' && (
          <Button variant="primary" onClick={() => enable.mutate()} disabled={enable.isPending}>
            {bucket ? 'Enable again' : 'Enable object storage'}
          </Button>
        )}
        {bucket?.state === 'active' && (
          <>
            <Button onClick={() => rotate.mutate()} disabled={rotate.isPending}>
              Rotate key
            </Button>
            <Button variant="danger" onClick={() => setConfirm('disable')}>
              Disable
            </Button>
          </>
        )}
        {bucket?.state === 'kept' && (
          <Button variant="danger" onClick={() => setConfirm('delete')}>
            Delete now
          </Button>
        )}
      </div>
      {failed && <Alert tone="error" title="Object storage">{errorMessage(failed)}</Alert>}
      {bucket && (
        <ConfirmDialog
          open={confirm === 'disable'}
          title={`Disable object storage of ${bucket.bucket}?`}
          confirmLabel="Disable"
          pending={disable.isPending}
          error={disable.error ? errorMessage(disable.error) : undefined}
          onConfirm={() => disable.mutate(undefined, { onSuccess: () => setConfirm(null) })}
          onClose={() => setConfirm(null)}
        >
          The app's key is revoked at once and its variables go with a rollout. The bucket and its data are kept for{' '}
          {storage.graceDays} days, then deleted.
        </ConfirmDialog>
      )}
      {bucket && (
        <ConfirmDialog
          open={confirm === 'delete'}
          title={`Delete ${bucket.bucket} and every object in it now?`}
          confirmText={bucket.bucket}
          pending={deleteNow.isPending}
          error={deleteNow.error ? errorMessage(deleteNow.error) : undefined}
          onConfirm={() => deleteNow.mutate(bucket, { onSuccess: () => setConfirm(null) })}
          onClose={() => setConfirm(null)}
        >
          This cannot be undone.
        </ConfirmDialog>
      )}
    </div>
  );
}

/** The service's bucket: name, endpoint, usage, and enable, rotate, disable, delete now. */
export function ObjectStoragePanel({ serviceId }: { serviceId: string }) {
  const storage = useObjectStorage(serviceId);
  return (
    <Section
      id="object-storage"
      title="Object storage"
      description={
        <>
          An S3 bucket for this service, with a key that reaches it only. The app gets{' '}
          {OBJECT_STORAGE_ENV_KEYS.map((key, i) => (
            <span key={key}>
              {i > 0 && ', '}
              <code className="font-mono">{key}</code>
            </span>
          ))}{' '}
          at run time; they never enter git.
        </>
      }
    >
      {storage.isPending ? (
        <LoadingBlock label="Loading object storage…" />
      ) : storage.error ? (
        <PanelError error={storage.error} what="Object storage" />
      ) : !storage.data.available ? (
        <p className="text-sm text-muted">This platform has no object storage: an operator sets OBJECT_STORAGE_ENDPOINT (README, “Object storage”).</p>
      ) : (
        <div className="space-y-4">
          {storage.data.bucket ? <BucketFacts bucket={storage.data.bucket} /> : <p className="text-sm text-muted">Not enabled.</p>}
          <Actions serviceId={serviceId} storage={storage.data} />
        </div>
      )}
    </Section>
  );
}
