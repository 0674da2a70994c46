/**
 * Every route an Express app mounts, read from its router stack (Express 5's `router`
 * package): the method, the full path (mount paths joined), and the router that holds it,
 * whose declaration (`describe.ts`) documents it.
 */
import type { Express } from 'express';

export interface MountedRoute {
  method: string;
  /** The full path, Express's syntax (`/api/services/:serviceId`), or a pattern. */
  path: string | RegExp;
  /** The path as the holding router wrote it: the key of its declaration. */
  routePath: string | RegExp;
  /** The router whose stack holds the route. */
  router: unknown;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean | undefined> };
  handle?: unknown;
}

function stackOf(handle: unknown): Layer[] | undefined {
  if (typeof handle !== 'function') return undefined;
  const stack = (handle as { stack?: unknown }).stack;
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
}

function join(prefix: string, path: string): string {
  if (path === '/' || path === '') return prefix;
  return `${prefix}${path}`;
}

/** The routes of `app`, in the order Express matches them. */
export function mountedRoutes(app: Express): MountedRoute[] {
  const found: MountedRoute[] = [];
  const visit = (router: unknown, prefix: string) => {
    for (const layer of stackOf(router) ?? []) {
      if (layer.route) {
        const routePath = layer.route.path;
        if (typeof routePath !== 'string' && !(routePath instanceof RegExp)) continue;
        for (const [method, on] of Object.entries(layer.route.methods)) {
          if (!on || method === '_all') continue;
          found.push({
            method,
            path: typeof routePath === 'string' ? join(prefix, routePath) : routePath,
            routePath,
            router,
          });
        }
        continue;
      }
      // A mounted router (a function with a stack of its own); plain middleware has none.
      if (stackOf(layer.handle) && typeof layer.rawPath === 'string') visit(layer.handle, join(prefix, layer.rawPath));
    }
  };
  visit(app.router, '');
  return found;
}

/** `/services/:serviceId` → `/services/{serviceId}`. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** The names of a path's parameters, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? '');
}
