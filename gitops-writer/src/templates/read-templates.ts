import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_FILES, TEMPLATE_KINDS, type TemplateTexts } from './template-files.js';

/** The repository's `templates/` folder (from `src/templates/` or `dist/templates/`). */
export const DEFAULT_TEMPLATES_DIR = fileURLToPath(new URL('../../../templates/', import.meta.url));

/** Reads every template file of `dir` (I/O shell of {@link parseTemplates}). */
export async function readTemplates(dir: string = DEFAULT_TEMPLATES_DIR): Promise<TemplateTexts> {
  const texts = await Promise.all(
    TEMPLATE_KINDS.map(async (kind) => [kind, await readFile(join(dir, TEMPLATE_FILES[kind].file), 'utf8')] as const),
  );
  return Object.fromEntries(texts) as TemplateTexts;
}
