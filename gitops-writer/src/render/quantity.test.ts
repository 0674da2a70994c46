import { addCpu, addMemory, cpuMillicores, quantityValue } from './quantity.js';

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

  it.each([
    // metrics-server's figures: nanocores and kibibytes.
    ['1234567n', 0.001234567],
    ['250u', 0.00025],
    ['7524Ki', 7524 * 1024],
  ])('%s is %d', (text, value) => {
    expect(quantityValue(text)).toBeCloseTo(value, 12);
  });

  it('rounds CPU to whole millicores', () => {
    expect(cpuMillicores('1500000n')).toBe(2);
    expect(cpuMillicores('250m')).toBe(250);
  });

  it('refuses what is not a quantity', () => {
    expect(() => addCpu('lots', '1')).toThrow('not a quantity: lots');
  });
});
