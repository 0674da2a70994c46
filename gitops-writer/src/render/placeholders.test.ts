import { checkTemplateDocument, fillTemplate } from './placeholders.js';

const values = { name: 'web', port: 8080, path: null, on: true, off: false, text: '{{port}}' };

describe('fillTemplate', () => {
  it.each([
    ['a whole placeholder takes the value and its type', { p: '{{port}}' }, { p: 8080 }],
    ['spaces inside the braces are allowed', { n: '{{ name }}' }, { n: 'web' }],
    ['a null value omits the key', { a: 1, p: '{{path}}' }, { a: 1 }],
    ['a null value omits the list item', { l: ['{{name}}', '{{path}}'] }, { l: ['web'] }],
    ['$if on a null variable omits the mapping', { probe: { $if: 'path', x: 1 }, y: 2 }, { y: 2 }],
    ['$if on false omits the mapping', { m: { $if: 'off', x: 1 }, y: 2 }, { y: 2 }],
    ['$if on a true variable keeps the mapping without the key', { m: { $if: 'on', x: 1 } }, { m: { x: 1 } }],
    ['a list emptied by omissions goes', { v: [{ $if: 'path', n: 1 }], y: 2 }, { y: 2 }],
    ['an empty mapping written in the template stays', { podSelector: {} }, { podSelector: {} }],
    ['an empty list written in the template stays', { l: [] }, { l: [] }],
    ['a value is never expanded again', { t: '{{text}}' }, { t: '{{port}}' }],
    ['literals pass through', { a: 'plain', b: 3, c: false }, { a: 'plain', b: 3, c: false }],
  ])('%s', (_name, template, expected) => {
    expect(fillTemplate(template, values)).toEqual(expected);
  });

  it('omits the whole document when a top-level $if is false', () => {
    expect(fillTemplate({ $if: 'path', kind: 'ConfigMap' }, values)).toBeNull();
  });

  it('keeps a __proto__ key as a key', () => {
    const template = JSON.parse('{"__proto__": {"polluted": "{{name}}"}}') as unknown;
    const filled = fillTemplate(template, values);
    expect(Object.keys(filled ?? {})).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('checkTemplateDocument', () => {
  const known = new Set(['name', 'port']);
  it.each([
    ['an unknown variable', { a: '{{nope}}' }, 'unknown variable {{nope}}'],
    ['a partial placeholder', { a: '{{name}}-data' }, 'a placeholder must be the whole value'],
    ['a placeholder as a key', { '{{name}}': 1 }, 'a key cannot be a placeholder'],
    ['$if naming an unknown variable', { m: { $if: 'nope' } }, '$if must name a variable'],
    ['$if that is not a string', { m: { $if: 3 } }, '$if must name a variable'],
  ])('reports %s', (_name, document, message) => {
    expect(checkTemplateDocument(document, known).map((p) => p.message).join()).toContain(message);
  });

  it('accepts whole, known placeholders', () => {
    expect(checkTemplateDocument({ a: '{{name}}', l: ['{{port}}'], m: { $if: 'name' } }, known)).toEqual([]);
  });
});
