import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import { QueryFailedError } from 'typeorm';

/** Parses `input` with `schema`, or throws a ValidationError with per-field messages. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError('The request body must be a JSON object.');
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // No prototype: a field named `__proto__` (a JSON key anyone can send) is a field like any other.
  const fields = Object.create(null) as Record<string, string[]>;
  for (const issue of result.error.issues) {
    // Unknown keys are reported on each key, not on the object.
    const paths =
      issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k].join('.')) : [issue.path.join('.') || '_'];
    const message = issue.code === 'unrecognized_keys' ? 'Unknown field.' : issue.message;
    for (const path of paths) (fields[path] ??= []).push(message);
  }
  throw new ValidationError('Some fields are invalid.', fields);
}

/** The constraint name of a PostgreSQL unique violation, if `error` is one. */
export function uniqueViolation(error: unknown): string | undefined {
  if (error instanceof QueryFailedError) {
    const driverError = error.driverError as { code?: string; constraint?: string };
    if (driverError.code === '23505') return driverError.constraint ?? '';
  }
  return undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a row id; anything else is simply not found. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
