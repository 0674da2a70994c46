import { readEnvFile } from '../src/use-cases/env-file.js';

describe('reading a pasted .env file', () => {
  it.each([
    ['KEY=value', { KEY: 'value' }],
    ['export KEY=value', { KEY: 'value' }],
    ['KEY: value', { KEY: 'value' }],
    ['KEY = spaced # a comment', { KEY: 'spaced' }],
    ['KEY="quoted # not a comment"', { KEY: 'quoted # not a comment' }],
    ["KEY='single'", { KEY: 'single' }],
    ['KEY=`back`', { KEY: 'back' }],
    ['KEY="a\\nb"', { KEY: 'a\nb' }],
    ['KEY="line one\nline two"\nNEXT=1', { KEY: 'line one\nline two', NEXT: '1' }],
    ['KEY=', { KEY: '' }],
    ['A=1\r\nB=2\r\n', { A: '1', B: '2' }],
    ['# only a comment\n\nA=1\n   \n', { A: '1' }],
    ['URL=postgres://u:p@h/db?x=1&y=2', { URL: 'postgres://u:p@h/db?x=1&y=2' }],
    ['export x=1', { x: '1' }],
    ['__proto__=kept', { ['__proto__']: 'kept' }],
  ])('%j reads as dotenv reads it', (text, expected) => {
    const { entries, errors } = readEnvFile(text);
    expect(errors).toEqual([]);
    expect(Object.fromEntries(entries.map((e) => [e.key, e.value]))).toEqual(expected);
  });

  it('numbers each variable by the line it starts on', () => {
    expect(readEnvFile('# x\nA="1\n2"\n\nB=3').entries.map((e) => [e.key, e.line])).toEqual([
      ['A', 2],
      ['B', 5],
    ]);
  });

  it.each([
    ['no separator', 'KEY value', 'Line 1: not a variable: write KEY=value.'],
    ['a colon without a space', 'KEY:value', 'Line 1: not a variable: write KEY=value.'],
    ['a key dotenv takes but the env does not', 'A.B=1', 'Line 1: "A.B" is not a valid key: Use letters, digits and "_", not starting with a digit.'],
    ['a key twice', 'A=1\nA=2', 'Line 2: A is already set on line 1: keep one.'],
    ['a quote never closed', 'A="open\nB=2', 'Line 1: A: the quote (") that opens its value is never closed.'],
    ['a value over 32 KiB', `A=${'x'.repeat(32 * 1024 + 1)}`, 'Line 1: A: At most 32768 characters.'],
    ['nothing', '', 'No variable in the text: paste lines such as KEY=value.'],
  ])('refuses %s, saying where', (_what, text, message) => {
    expect(readEnvFile(text).errors).toEqual([message]);
  });

  it('reports every bad line, the first hundred by number and a count of the rest', () => {
    const { errors } = readEnvFile(Array.from({ length: 150 }, (_, i) => `bad line ${String(i)}`).join('\n'));
    expect(errors).toHaveLength(101);
    expect(errors[0]).toBe('Line 1: not a variable: write KEY=value.');
    expect(errors[99]).toBe('Line 100: not a variable: write KEY=value.');
    expect(errors[100]).toBe('… and 50 more bad lines.');
  });
});
