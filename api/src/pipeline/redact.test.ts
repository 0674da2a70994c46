import { describe, expect, it } from '@jest/globals';
import { REDACTED, Redactor } from './redact.js';

describe('Redactor', () => {
  it.each([
    ['a token in a clone URL', ['ghp_secret123'], 'cloning https://x-access-token:ghp_secret123@github.com/o/r', `cloning https://x-access-token:${REDACTED}@github.com/o/r`],
    ['every occurrence', ['hunter22'], 'hunter22 and hunter22', `${REDACTED} and ${REDACTED}`],
    ['the longer of two overlapping secrets first', ['abcd', 'abcdefgh'], 'xabcdefghx abcd', `x${REDACTED}x ${REDACTED}`],
    ['each line of a multi-line secret', ['line-one\nline-two'], 'got line-two here', `got ${REDACTED} here`],
    ['regex metacharacters literally', ['a.b*c+d?'], 'a.b*c+d? axbbcd', `${REDACTED} axbbcd`],
    ['nothing when no secret appears', ['s3cr3t!'], 'Step 1/4 : FROM node:24', 'Step 1/4 : FROM node:24'],
  ])('masks %s', (_name, secrets, line, expected) => {
    expect(new Redactor(secrets).redact(line)).toBe(expected);
  });

  it('leaves values too short to be told from ordinary text', () => {
    expect(new Redactor(['1', 'yes', '']).redact('yes: 1 of 1')).toBe('yes: 1 of 1');
  });
});
