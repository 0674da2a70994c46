/** Messages per form field; `_form` holds those that belong to no one field. */
export type FieldErrors = Record<string, string[]>;

/** Groups zod issues by their first path segment (the form field). */
export function issuesToFieldErrors(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
): FieldErrors {
  // No prototype: a field named `__proto__` is a field like any other.
  const errors = Object.create(null) as FieldErrors;
  for (const issue of issues) {
    const head = issue.path[0];
    const key = head === undefined ? '_form' : String(head);
    const list = (errors[key] ??= []);
    if (!list.includes(issue.message)) list.push(issue.message);
  }
  return errors;
}

/**
 * Files the api's per-field errors (`env.0.key`, `repoUrl`) under the form's
 * fields; errors for fields the form does not show go to `_form`, so none is
 * ever dropped.
 */
export function apiFieldErrors(fields: Record<string, string[]>, known: readonly string[]): FieldErrors {
  const errors = Object.create(null) as FieldErrors;
  for (const [path, messages] of Object.entries(fields)) {
    const head = path.split('.')[0] ?? path;
    const key = known.includes(head) ? head : '_form';
    const shown = key === '_form' && path !== '' ? messages.map((m) => `${path}: ${m}`) : messages;
    errors[key] = [...(errors[key] ?? []), ...shown];
  }
  return errors;
}
