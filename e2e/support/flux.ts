/**
 * Flux's own definitions for the tests, from the source-controller's Go module (the
 * version Flux is pinned at in these tests): its CustomResourceDefinitions, read from the
 * module the Go module proxy serves (`go mod download`), never written by hand.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FLUX_SOURCE_CONTROLLER = 'github.com/fluxcd/source-controller@v1.9.6';

/** A CRD file of source-controller's `config/crd/bases/`, e.g. `source.toolkit.fluxcd.io_gitrepositories.yaml`. */
export function fluxSourceCrd(file: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', FLUX_SOURCE_CONTROLLER], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
  });
  const { Dir } = JSON.parse(out) as { Dir?: string };
  if (!Dir) throw new Error(`go mod download ${FLUX_SOURCE_CONTROLLER} gave no directory`);
  return readFileSync(join(Dir, 'config', 'crd', 'bases', file), 'utf8');
}
