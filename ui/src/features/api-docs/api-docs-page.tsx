import { useMemo, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Badge, Input, LoadingBlock, PageHeader, Section } from '../../components/ui';
import { api } from '../../lib/api-client';
import { errorMessage } from '../../lib/api-error';
import {
  filterOperations,
  operationsByTag,
  schemaFields,
  type Access,
  type OpenApiDocument,
  type OperationView,
} from './openapi-view';

const DOCUMENT_URL = '/api/openapi.json';

const methodTone: Record<string, 'ok' | 'warn' | 'bad' | 'idle'> = {
  GET: 'ok',
  POST: 'warn',
  PATCH: 'warn',
  PUT: 'warn',
  DELETE: 'bad',
};

const accessWords: Record<Access, string> = {
  public: 'public',
  'signed-in': 'signed in',
  admin: 'admins only',
};

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function OperationRow({ op }: { op: OperationView }) {
  return (
    <details id={op.id} className="group rounded-md border border-line bg-bg" data-testid="api-operation">
      <summary className="flex cursor-pointer flex-wrap items-center gap-3 px-3 py-2">
        <Badge tone={methodTone[op.method] ?? 'idle'} className="w-16 justify-center font-mono">
          {op.method}
        </Badge>
        <code className="font-mono text-sm text-fg">{op.path}</code>
        <span className="text-sm text-muted">{op.summary}</span>
        <span className="ml-auto text-xs text-muted">{accessWords[op.access]}</span>
      </summary>
      <div className="space-y-3 border-t border-line px-3 py-3 text-sm">
        {op.description ? <p className="text-muted">{op.description}</p> : null}
        {op.parameters.length > 0 ? (
          <table className="w-full text-left">
            <caption className="mb-1 text-left font-medium text-fg">Parameters</caption>
            <tbody>
              {op.parameters.map((p) => (
                <tr key={`${p.in}-${p.name}`} className="align-top">
                  <td className="py-0.5 pr-3 font-mono">
                    {p.name}
                    {p.required ? '' : '?'}
                  </td>
                  <td className="py-0.5 pr-3 text-muted">{p.in}</td>
                  <td className="py-0.5 pr-3 font-mono text-muted">{p.type}</td>
                  <td className="py-0.5 text-muted">{p.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {op.body ? (
          <p>
            <span className="font-medium text-fg">Body</span> <code className="font-mono">{op.body}</code> (JSON)
          </p>
        ) : null}
        <table className="w-full text-left">
          <caption className="mb-1 text-left font-medium text-fg">Answers</caption>
          <tbody>
            {op.answers.map((a) => (
              <tr key={a.status} className="align-top">
                <td className="py-0.5 pr-3 font-mono">{a.status}</td>
                <td className="py-0.5 pr-3 font-mono text-muted">{a.type ?? '—'}</td>
                <td className="py-0.5 text-muted">{a.description}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** `/api-docs`: the api's OpenAPI document, for people. Loaded on demand (router.tsx). */
export function ApiDocsPage() {
  const [query, setQuery] = useState('');
  const document = useQuery({
    queryKey: ['openapi'],
    queryFn: () => api.get<OpenApiDocument>(DOCUMENT_URL),
    staleTime: Infinity,
  });
  const groups = useMemo(() => (document.data ? operationsByTag(document.data) : []), [document.data]);
  const shown = useMemo(() => filterOperations(groups, query), [groups, query]);
  const schemas = Object.entries(document.data?.components?.schemas ?? {}).sort(([a], [b]) => a.localeCompare(b));

  return (
    <>
      <PageHeader
        title="API"
        subtitle={
          <>
            Every operation of this platform’s api, generated from the schemas it validates with. The machine-readable
            OpenAPI 3.1 document: <a href={DOCUMENT_URL}>{DOCUMENT_URL}</a>.
          </>
        }
      />
      {document.isPending ? <LoadingBlock label="Loading the API document…" /> : null}
      {document.isError ? (
        <Alert tone="error" title="Could not load the API document">
          {errorMessage(document.error)}
        </Alert>
      ) : null}
      {document.data ? (
        <div className="space-y-6">
          {document.data.info?.description ? <p className="text-sm text-muted">{document.data.info.description}</p> : null}
          <Input
            type="search"
            aria-label="Filter operations"
            placeholder="Filter: a path, a method, a word of the summary"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
          {shown.length === 0 ? <p className="text-sm text-muted">No operation matches “{query}”.</p> : null}
          {shown.map((group) => (
            <Section key={group.tag} id={`tag-${slug(group.tag)}`} title={group.tag}>
              <div className="space-y-2">
                {group.operations.map((op) => (
                  <OperationRow key={op.id} op={op} />
                ))}
              </div>
            </Section>
          ))}
          <Section id="schemas" title="Schemas" description="The shapes the operations above name.">
            <div className="space-y-2">
              {schemas.map(([name, schema]) => (
                <details key={name} id={`schema-${name}`} className="rounded-md border border-line bg-bg">
                  <summary className="cursor-pointer px-3 py-2 font-mono text-sm text-fg">{name}</summary>
                  <table className="mx-3 mb-3 w-[calc(100%-1.5rem)] text-left text-sm">
                    <tbody>
                      {schemaFields(schema).map((field) => (
                        <tr key={field.name} className="align-top">
                          <td className="py-0.5 pr-3 font-mono">
                            {field.name}
                            {field.required ? '' : '?'}
                          </td>
                          <td className="py-0.5 pr-3 font-mono text-muted">{field.type}</td>
                          <td className="py-0.5 text-muted">{field.description}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </details>
              ))}
            </div>
          </Section>
        </div>
      ) : null}
    </>
  );
}
