// Helpers of the bootstrap tests: kubectl (kustomize, apply) and the rendered objects.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { loadAllYaml } from '@kubernetes/client-node';

const run = promisify(execFile);

/** The repository root: the Tiltfile and bootstrap/ live there. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where kubectl is on the CI machine; KUBECTL overrides it. */
export const kubectlPath = process.env.KUBECTL ?? '/usr/bin/kubectl';

/** A rendered Kubernetes object, as much of it as the tests read. */
export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** Runs kubectl from the repository root; rejects with its stderr when it fails. */
export async function kubectl(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(kubectlPath, args, { cwd: repoRoot, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`kubectl ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}

/** `kubectl kustomize <dir>`, parsed. */
export async function render(dir: string): Promise<RenderedObject[]> {
  const objects = loadAllYaml(await kubectl(['kustomize', dir])) as RenderedObject[];
  return objects.filter((o) => typeof o.kind === 'string');
}

/** The one object of that kind and name (its name may carry kustomize's hash suffix when `hashed`). */
export function find(objects: RenderedObject[], kind: string, name: string, hashed = false): RenderedObject {
  const found = objects.filter(
    (o) => o.kind === kind && (o.metadata.name === name || (hashed && o.metadata.name.startsWith(`${name}-`))),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as RenderedObject;
}
