/** Typed errors of the applier (docs/architecture.md#code-conventions). */

/** One problem of one manifest file of the state repo. */
export interface ManifestProblem {
  path: string;
  message: string;
}

/**
 * A commit of the state repo holds manifests that do not parse or break an
 * invariant: the sync stops before anything is applied or pruned.
 */
export class InvalidCommitError extends Error {
  override readonly name: string = 'InvalidCommitError';

  constructor(
    readonly commit: string,
    readonly problems: ManifestProblem[],
  ) {
    super(`commit ${commit.slice(0, 12)} is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
}

/** The state repo could not be read (missing repo, branch or object). */
export class SourceError extends Error {
  override readonly name: string = 'SourceError';
}
