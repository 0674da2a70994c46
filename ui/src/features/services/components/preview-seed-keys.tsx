import { useState } from 'react';
import type { ServiceDto } from '@dangus/common';
import { Button, Field, Input } from '../../../components/ui';
import { ApiError } from '../../../lib/api-error';
import { useUpdateService } from '../api/services';

/** "API_BASE, FEATURE_X" or one per line: the key names, in order, blanks dropped. */
function parseKeys(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/**
 * The service's env keys a preview's own env Secret is seeded from at each build
 * (`previews.seedKeys`): names only; the values stay the service's. A key the service does not
 * have is kept and shown as missing. A fork's preview gets them only once its head is approved.
 */
export function PreviewSeedKeys({ service }: { service: ServiceDto }) {
  const update = useUpdateService(service.id);
  const saved = service.previews.seedKeys.join(', ');
  const [text, setText] = useState(saved);
  const error = update.error;
  const errors = error instanceof ApiError ? Object.entries(error.fields).filter(([field]) => field.startsWith('previews.seedKeys')).flatMap(([, m]) => m) : [];
  const missing = service.previews.missingSeedKeys;
  return (
    <form
      className="flex flex-wrap items-end gap-2"
      onSubmit={(e) => {
        e.preventDefault();
        update.mutate({ previews: { seedKeys: parseKeys(text) } });
      }}
    >
      <Field
        className="min-w-64 flex-1"
        label="Env keys copied into previews"
        hint={
          missing.length > 0
            ? `Not set on this service: ${missing.join(', ')}.`
            : "Each preview starts with an empty env; these keys' current values are copied in at each build (a fork's only once approved)."
        }
        errors={errors.length > 0 ? errors : error ? [error.message] : undefined}
      >
        {(props) => <Input {...props} value={text} placeholder="API_BASE, FEATURE_FLAGS" onChange={(e) => setText(e.target.value)} />}
      </Field>
      <Button type="submit" size="sm" disabled={update.isPending || text === saved}>
        Save keys
      </Button>
    </form>
  );
}
