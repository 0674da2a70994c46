import { loadAll } from 'js-yaml';
import { TemplateError } from '../errors.js';
import { checkTemplateDocument, isMapping } from '../render/placeholders.js';
import { variablesInScope } from '../render/variable-catalog.js';
import { TEMPLATE_FILES, TEMPLATE_KINDS, type ParsedTemplate, type TemplateSet, type TemplateTexts } from './template-files.js';

/**
 * Parses and checks every template once (at start-up, or when an operator edits
 * one), so that rendering never meets a malformed template.
 *
 * @throws {TemplateError} on invalid YAML, a document that is not a mapping, or a
 *   placeholder that is partial, unknown or out of the template's scope.
 */
export function parseTemplates(texts: TemplateTexts): TemplateSet {
  const entries = TEMPLATE_KINDS.map((kind): [string, ParsedTemplate] => {
    const { file, scope } = TEMPLATE_FILES[kind];
    return [kind, parseTemplate(file, texts[kind], variablesInScope(scope))];
  });
  return Object.fromEntries(entries) as TemplateSet;
}

function parseTemplate(file: string, text: string, known: ReadonlySet<string>): ParsedTemplate {
  let documents: unknown[];
  try {
    documents = loadAll(text, { filename: file }).filter((document) => document !== null);
  } catch (error) {
    throw new TemplateError(file, 'is not valid YAML', { cause: error });
  }
  documents.forEach((document, index) => {
    if (!isMapping(document)) throw new TemplateError(file, `document ${String(index + 1)} is not a mapping`);
    const problems = checkTemplateDocument(document, known);
    if (problems.length > 0) {
      throw new TemplateError(
        file,
        problems.map((p) => `document ${String(index + 1)} ${p.path}: ${p.message}`).join('; '),
      );
    }
  });
  return { file, documents };
}
