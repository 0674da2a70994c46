/**
 * Sums of Kubernetes quantities, for the quota the platform renders (the apps' budget plus
 * one build's allowance). CPU in millicores, memory in bytes; the sum is written back in
 * the simplest exact form (`2250m`, `3`, `4608Mi`).
 */
const UNITS: Record<string, number> = { '': 1, n: 1e-9, u: 1e-6, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

function parse(text: string): { value: number; unit: string } {
  const match = /^([0-9]+(?:\.[0-9]+)?)(n|u|m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(text);
  if (!match?.[1]) throw new Error(`not a quantity: ${text}`);
  return { value: Number(match[1]), unit: match[2] ?? '' };
}

/** A CPU quantity in millicores (`250m` → 250, `1.5` → 1500). */
export function cpuMillicores(text: string): number {
  const { value, unit } = parse(text);
  return Math.round(unit === 'm' ? value : value * 1000 * (UNITS[unit] ?? 1));
}

/** A quantity as a plain number: memory in bytes (`512Mi` → 536870912), `m` as thousandths. */
export function quantityValue(text: string): number {
  const { value, unit } = parse(text);
  return unit === 'm' ? value / 1000 : value * (UNITS[unit] ?? 1);
}

/** `a + b`, CPU quantities. */
export function addCpu(a: string, b: string): string {
  const sum = cpuMillicores(a) + cpuMillicores(b);
  return sum % 1000 === 0 ? String(sum / 1000) : `${String(sum)}m`;
}

/** `a + b`, memory quantities. */
export function addMemory(a: string, b: string): string {
  const sum = Math.round(quantityValue(a)) + Math.round(quantityValue(b));
  if (sum % 1024 ** 3 === 0) return `${String(sum / 1024 ** 3)}Gi`;
  if (sum % 1024 ** 2 === 0) return `${String(sum / 1024 ** 2)}Mi`;
  return String(sum);
}
