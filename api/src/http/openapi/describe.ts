/**
 * A route's documentation, declared on the line above the route:
 *
 *     const doc = routeDocs(r, { tag: 'Projects', access: 'user' });
 *     doc.get('/projects/:projectId', { summary: 'One project', response: projectDetailDtoSchema, errors: [] });
 *     r.get('/projects/:projectId', async (req, res) => { … });
 *
 * The declaration is kept with the router it belongs to; `document.ts` walks the app's
 * mounted routes and reads each one's declaration, so a path or a method comes from the
 * router itself, and a route without a declaration fails `api/test/openapi.test.ts`.
 * Request and answer schemas are the zod schemas the api parses with and the DTO schemas
 * of `@dangus/common` its types are inferred from.
 */
import type { Router } from 'express';
import type { z } from 'zod';

/** Who may call: anyone, a signed-in user (session cookie), or an admin. */
export type Access = 'public' | 'user' | 'admin';

/** The error statuses an operation may answer besides those its shape implies. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 429 | 502 | 503;

export interface OperationDoc {
  summary: string;
  description?: string;
  /** The router's tag unless given. */
  tag?: string;
  /** The router's access unless given. */
  access?: Access;
  /** Path parameters; each `:name` of the path is a string (`*Id`: a uuid) unless given here. */
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON request body, as the use case parses it. */
  body?: z.ZodType;
  /** The success status: 200 unless given. */
  status?: 200 | 201 | 202 | 204 | 302;
  /** The JSON body of the success answer (none for 204 and 302). */
  response?: z.ZodType;
  /** A success answer that is not JSON: a server-sent event stream, plain text or git's protocol. */
  produces?: { type: 'text/event-stream' | 'text/plain' | 'application/x-git-upload-pack-advertisement' | 'application/x-git-upload-pack-result'; description: string };
  /** What the success answer is, in words (a default is derived from the status). */
  answers?: string;
  /** Further answers with a JSON body of their own (the webhook's `ignored`, `ping`). */
  otherAnswers?: Record<number, { description: string; schema?: z.ZodType }>;
  /** Its refusals are a line of plain text, not the JSON error shape (git's endpoints). */
  plainErrors?: true;
  /** Errors beyond those implied by access, parameters, query and body (401, 403, 404, 400, 413). */
  errors?: ErrorStatus[];
}

/** A route that is deliberately not part of the API (the UI's pages), with why. */
export interface Excluded {
  excluded: string;
}

export interface RouterDefaults {
  tag: string;
  access: Access;
}

export interface DeclaredRoute {
  doc: OperationDoc | Excluded;
  defaults: RouterDefaults;
}

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete';

export interface RouteDocs {
  get(path: string, doc: OperationDoc): void;
  post(path: string, doc: OperationDoc): void;
  patch(path: string, doc: OperationDoc): void;
  put(path: string, doc: OperationDoc): void;
  delete(path: string, doc: OperationDoc): void;
  /** A route that is not part of the API, such as the UI's catch-all. */
  exclude(method: Method, path: string | RegExp, reason: string): void;
}

const declared = new WeakMap<Router, { defaults: RouterDefaults; routes: Map<string, OperationDoc | Excluded> }>();

function keyOf(method: string, path: string | RegExp): string {
  return `${method.toLowerCase()} ${String(path)}`;
}

/** The declarations of one router's routes (paths as the router writes them). */
export function routeDocs(router: Router, defaults: RouterDefaults): RouteDocs {
  const routes = new Map<string, OperationDoc | Excluded>();
  declared.set(router, { defaults, routes });
  const declare = (method: Method) => (path: string, doc: OperationDoc) => {
    routes.set(keyOf(method, path), doc);
  };
  return {
    get: declare('get'),
    post: declare('post'),
    patch: declare('patch'),
    put: declare('put'),
    delete: declare('delete'),
    exclude: (method, path, reason) => routes.set(keyOf(method, path), { excluded: reason }),
  };
}

/** What `router` declared for its route `method path`, if anything. */
export function declaredRoute(router: unknown, method: string, path: string | RegExp): DeclaredRoute | undefined {
  const entry = typeof router === 'function' ? declared.get(router as Router) : undefined;
  const doc = entry?.routes.get(keyOf(method, path));
  return entry && doc ? { doc, defaults: entry.defaults } : undefined;
}

export function isExcluded(doc: OperationDoc | Excluded): doc is Excluded {
  return 'excluded' in doc;
}
