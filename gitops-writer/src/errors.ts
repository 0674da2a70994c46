/**
 * Typed errors of the writer. The api maps them to HTTP answers in its one error
 * middleware (docs/architecture.md#code-conventions): a `RenderInputError` is the caller's bad data (422-like),
 * the others are operator or platform faults (5xx).
 */

/** A template file cannot be parsed or uses placeholders wrongly. */
export class TemplateError extends Error {
  override readonly name: string = 'TemplateError';

  constructor(
    /** The template file, e.g. `deployment.yaml`. */
    readonly template: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${template}: ${message}`, options);
  }
}

/** The render input failed validation; `fields` is keyed by the path of the bad value. */
export class RenderInputError extends Error {
  override readonly name: string = 'RenderInputError';

  constructor(
    message: string,
    readonly fields: Record<string, string[]>,
  ) {
    super(message);
  }
}

/**
 * A rendered object is not a valid Kubernetes object of its kind (OpenAPI schema) or
 * breaks an invariant of the state repo (explicit namespace, tenant scope). Such a
 * render is never written.
 */
export class ManifestValidationError extends Error {
  override readonly name: string = 'ManifestValidationError';

  constructor(
    /** The file the object would have been written to. */
    readonly path: string,
    /** `apiVersion/kind name`, for the log. */
    readonly object: string,
    readonly problems: string[],
  ) {
    super(`${path}: ${object} is invalid: ${problems.join('; ')}`);
  }
}

/** The state repo could not be read or written, or a write request is malformed. */
export class StateRepoError extends Error {
  override readonly name: string = 'StateRepoError';
}

/**
 * The branch moved under us between reading it and updating it: another writer
 * committed without holding the lock. Nothing was written to the ref.
 */
export class ConcurrentUpdateError extends StateRepoError {
  override readonly name: string = 'ConcurrentUpdateError';
}
