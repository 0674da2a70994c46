/**
 * The OpenAPI 3.1 document of the api, generated from the app itself: its mounted routes
 * (walk.ts), each route's declaration (describe.ts) and the zod schemas those name (the
 * ones the api parses with, and the DTO schemas its answers' types are inferred from).
 */
import type { Express } from 'express';
import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import { errorBodySchema } from '@dangus/common';
import { declaredRoute, isExcluded, type Access, type ErrorStatus, type OperationDoc } from './describe.js';
import { COMPONENTS } from './components.js';
import { mountedRoutes, openApiPath, pathParams } from './walk.js';

export type OpenApiDocument = ReturnType<typeof createDocument>;

/** What each error status means on this api; every one answers the one error shape. */
const ERROR_MEANING: Record<ErrorStatus, string> = {
  400: 'Invalid input: `error.fields` names each field and what is wrong with it. Nothing was changed.',
  401: 'No session, or it has ended: sign in (`code` `unauthorized`).',
  403: 'Not allowed: an admin-only operation (`admin_only`), a state-changing request without this origin in `Origin` (`origin_mismatch`), the local sign-in from elsewhere (`local_only`), a webhook of a blocked owner (`owner_blocked`).',
  404: 'No such object, or another user\'s: the two are not told apart.',
  408: 'The request body took too long to arrive.',
  409: 'Refused by the current state: a name in use, a limit reached (`limit_reached`), a quota short of room.',
  413: 'The request body is too large.',
  415: 'The request body is not of a type this operation reads.',
  429: 'Too many at once for this user: try again later (`Retry-After` when known).',
  502: 'A system this operation depends on (GitHub, the state repo) failed.',
  503: 'Not available now (shutting down, catching up): try again.',
};

const SUCCESS_MEANING: Record<number, string> = {
  200: 'OK.',
  201: 'Created.',
  202: 'Accepted: the change is recorded and carried out in the background.',
  204: 'Done; no body.',
  302: 'A redirect.',
};

const STATE_CHANGING = new Set(['post', 'put', 'patch', 'delete']);

function errorsOf(method: string, path: string, doc: OperationDoc, access: Access): ErrorStatus[] {
  const errors = new Set<ErrorStatus>(doc.errors ?? []);
  // A redirect answers a bad query with a redirect too (the GitHub callback).
  if (doc.body || (doc.query && doc.status !== 302)) errors.add(400);
  if (doc.body) errors.add(413);
  if (access !== 'public') errors.add(401);
  if (access === 'admin') errors.add(403);
  // The origin check guards every state-changing request of /api and /auth (app.ts).
  if (STATE_CHANGING.has(method) && (path.startsWith('/api/') || path.startsWith('/auth/'))) errors.add(403);
  if (pathParams(path).length > 0) errors.add(404);
  return [...errors].sort((a, b) => a - b);
}

function paramsOf(path: string, doc: OperationDoc): z.ZodObject | undefined {
  const names = pathParams(path);
  if (names.length === 0) return undefined;
  const given = doc.params?.shape ?? {};
  return z.object(
    Object.fromEntries(names.map((name) => [name, given[name] ?? (name.endsWith('Id') ? z.uuid() : z.string())])),
  );
}

function operationOf(method: string, path: string, doc: OperationDoc, defaults: { tag: string; access: Access }): ZodOpenApiOperationObject {
  const access = doc.access ?? defaults.access;
  const status = doc.status ?? 200;
  const success = doc.answers ?? SUCCESS_MEANING[status] ?? 'OK.';
  const responses: ZodOpenApiResponsesObject = {};
  const code = (status: number) => String(status) as `${1 | 2 | 3 | 4 | 5}${string}`;
  if (doc.produces) {
    responses[code(status)] = { description: doc.produces.description, content: { [doc.produces.type]: { schema: z.string() } } };
  } else if (doc.response) {
    responses[code(status)] = { description: success, content: { 'application/json': { schema: doc.response } } };
  } else {
    responses[code(status)] = { description: success };
  }
  for (const [status, other] of Object.entries(doc.otherAnswers ?? {})) {
    responses[code(Number(status))] = other.schema ? { description: other.description, content: { 'application/json': { schema: other.schema } } } : { description: other.description };
  }
  for (const error of errorsOf(method, path, doc, access)) {
    responses[code(error)] ??= doc.plainErrors
      ? { description: ERROR_MEANING[error], content: { 'text/plain': { schema: z.string() } } }
      : { $ref: `#/components/responses/Error${String(error)}` };
  }
  if (!doc.plainErrors) responses.default = { $ref: '#/components/responses/ErrorDefault' };
  const params = paramsOf(path, doc);
  return {
    operationId: `${method}${openApiPath(path).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    tags: [doc.tag ?? defaults.tag],
    security: access === 'public' ? [] : [{ session: [] }],
    ...(access === 'admin' ? { 'x-dangus-access': 'admin' } : {}),
    ...(params || doc.query ? { requestParams: { ...(params ? { path: params } : {}), ...(doc.query ? { query: doc.query } : {}) } } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: doc.body } } } } : {}),
    responses,
  };
}

/** Mounted routes that declare nothing: a test lists them (api/test/openapi.test.ts). */
export function undocumentedRoutes(app: Express): string[] {
  return mountedRoutes(app)
    .filter((route) => declaredRoute(route.router, route.method, route.routePath) === undefined)
    .map((route) => `${route.method.toUpperCase()} ${String(route.path)}`);
}

/** The api's OpenAPI 3.1 document, from `app`'s mounted routes and their declarations. */
export function openApiDocument(app: Express, version: string): OpenApiDocument {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of mountedRoutes(app)) {
    const declared = declaredRoute(route.router, route.method, route.routePath);
    if (!declared || isExcluded(declared.doc) || typeof route.path !== 'string') continue;
    const item = (paths[openApiPath(route.path)] ??= {});
    (item as Record<string, ZodOpenApiOperationObject>)[route.method] = operationOf(route.method, route.path, declared.doc, declared.defaults);
  }
  const errorResponses = Object.fromEntries(
    [...(Object.keys(ERROR_MEANING) as `${ErrorStatus}`[]).map((code) => [`Error${code}`, ERROR_MEANING[Number(code) as ErrorStatus]] as const), ['ErrorDefault', 'An unexpected failure on the platform\'s side (logged).'] as const].map(
      ([name, description]) => [name, { description, content: { 'application/json': { schema: errorBodySchema } } }],
    ),
  );
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Dangus Cloud API',
      version,
      description:
        'The api of a Dangus Cloud platform, generated from the zod schemas it validates with. A signed-in user is the session cookie `POST /auth/local` or the GitHub sign-in sets; every state-changing request of `/api` and `/auth` must carry this platform\'s origin in `Origin` (or `Referer`). Another user\'s object is a 404. Every error has the one shape `Error`.',
    },
    paths,
    components: {
      schemas: { Error: errorBodySchema, ...COMPONENTS },
      responses: errorResponses,
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'dangus_session',
          description: 'The session cookie (`__Host-dangus_session` when the platform is served over https).',
        },
      },
    },
  });
}
