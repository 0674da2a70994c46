/**
 * The api's OpenAPI document (`GET /api/openapi.json`) read for people: operations grouped
 * by tag, schemas named and summed up in a few words. Pure: the page renders what this gives.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

interface Reference {
  $ref: string;
}

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: JsonSchema;
}

interface Content {
  [mediaType: string]: { schema?: JsonSchema } | undefined;
}

interface Response {
  description?: string;
  content?: Content;
}

interface Operation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  'x-dangus-access'?: string;
  parameters?: (Parameter | Reference)[];
  requestBody?: { content?: Content };
  responses?: Record<string, Response | Reference>;
}

export interface OpenApiDocument {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation | undefined>>;
  components?: {
    schemas?: Record<string, JsonSchema>;
    responses?: Record<string, Response>;
  };
}

export type Access = 'public' | 'signed-in' | 'admin';

export interface ParameterView {
  name: string;
  in: string;
  required: boolean;
  type: string;
  description: string | null;
}

export interface AnswerView {
  status: string;
  description: string;
  mediaType: string | null;
  type: string | null;
}

export interface OperationView {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string | null;
  access: Access;
  parameters: ParameterView[];
  body: string | null;
  answers: AnswerView[];
}

export interface TagView {
  tag: string;
  operations: OperationView[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function isReference(value: object): value is Reference {
  return '$ref' in value && typeof value.$ref === 'string';
}

/** The last segment of a local `$ref`: `#/components/schemas/Service` → `Service`. */
export function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

/** A schema in a few words: `Service`, `Project[]`, `string (uuid)`, `"accepted" | "rejected"`. */
export function typeLabel(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => typeLabel(s)).join(' | ');
  if (schema.allOf?.length === 1) return typeLabel(schema.allOf[0]);
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : schema.type;
  if (type === 'array') return `${typeLabel(schema.items)}[]`;
  if (type === 'object' && schema.properties) return `{ ${Object.keys(schema.properties).join(', ')} }`;
  if (type === 'object' && typeof schema.additionalProperties === 'object') return `{ [key]: ${typeLabel(schema.additionalProperties)} }`;
  if (type === 'integer' || type === 'number') return type;
  if (type === 'string' && schema.format) return `string (${schema.format})`;
  return type ?? 'any';
}

function accessOf(operation: Operation): Access {
  if (operation['x-dangus-access'] === 'admin') return 'admin';
  return (operation.security ?? []).length > 0 ? 'signed-in' : 'public';
}

function answersOf(document: OpenApiDocument, operation: Operation): AnswerView[] {
  return Object.entries(operation.responses ?? {}).map(([status, given]) => {
    const response = isReference(given) ? (document.components?.responses?.[refName(given.$ref)] ?? {}) : given;
    const [mediaType, media] = Object.entries(response.content ?? {})[0] ?? [null, undefined];
    return {
      status,
      description: response.description ?? '',
      mediaType,
      type: media?.schema ? typeLabel(media.schema) : null,
    };
  });
}

/** Every operation of the document, grouped by its first tag, in the document's order. */
export function operationsByTag(document: OpenApiDocument): TagView[] {
  const tags = new Map<string, OperationView[]>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? 'Other';
      const view: OperationView = {
        id: operation.operationId ?? `${method}-${path}`,
        method: method.toUpperCase(),
        path,
        summary: operation.summary ?? '',
        description: operation.description ?? null,
        access: accessOf(operation),
        parameters: (operation.parameters ?? []).filter((p): p is Parameter => !isReference(p)).map((p) => ({
          name: p.name,
          in: p.in,
          required: p.required ?? false,
          type: typeLabel(p.schema),
          description: p.description ?? p.schema?.description ?? null,
        })),
        body: operation.requestBody?.content?.['application/json']?.schema ? typeLabel(operation.requestBody.content['application/json'].schema) : null,
        answers: answersOf(document, operation),
      };
      tags.set(tag, [...(tags.get(tag) ?? []), view]);
    }
  }
  return [...tags].map(([tag, operations]) => ({ tag, operations }));
}

export interface FieldView {
  name: string;
  type: string;
  required: boolean;
  description: string | null;
}

/** A named schema's fields (an object's properties), for the Schemas section. */
export function schemaFields(schema: JsonSchema): FieldView[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, field]) => ({
    name,
    type: typeLabel(field),
    required: required.has(name),
    description: field.description ?? null,
  }));
}

/** Operations whose method, path, summary or tag contains every word of `query`. */
export function filterOperations(groups: TagView[], query: string): TagView[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return groups;
  return groups
    .map(({ tag, operations }) => ({
      tag,
      operations: operations.filter((op) => {
        const text = `${op.method} ${op.path} ${op.summary} ${tag}`.toLowerCase();
        return words.every((word) => text.includes(word));
      }),
    }))
    .filter((group) => group.operations.length > 0);
}
