import { addCpu, addMemory } from './quantity.js';

describe('quantity sums', () => {
  it.each([
    ['2', '250m', '2250m'],
    ['4', '2', '6'],
    ['1500m', '500m', '2'],
    ['0.5', '250m', '750m'],
  ])('cpu %s + %s = %s', (a, b, sum) => {
    expect(addCpu(a, b)).toBe(sum);
  });

  it.each([
    ['4Gi', '512Mi', '4608Mi'],
    ['8Gi', '2Gi', '10Gi'],
    ['1G', '1', '1000000001'],
  ])('memory %s + %s = %s', (a, b, sum) => {
    expect(addMemory(a, b)).toBe(sum);
  });

  it('refuses what is not a quantity', () => {
    expect(() => addCpu('lots', '1')).toThrow('not a quantity: lots');
  });
});
