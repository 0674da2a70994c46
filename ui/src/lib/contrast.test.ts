import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { contrastRatio } from './contrast';

// The theme's variables, read from the stylesheet itself so the test follows any change to it.
const css = readFileSync(fileURLToPath(new URL('../index.css', import.meta.url)), 'utf8');
const root = /:root\s*{([^}]*)}/.exec(css)?.[1] ?? '';
const vars = new Map<string, string>();
for (const m of root.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)) {
  if (m[1] && m[2]) vars.set(m[1], m[2]);
}
const v = (name: string): string => {
  const value = vars.get(name);
  if (!value) throw new Error(`--${name} is not a #rrggbb variable in index.css`);
  return value;
};

describe('theme contrast (WCAG AA, 4.5:1 for text)', () => {
  it.each([
    ['fg', 'bg'],
    ['fg', 'surface'],
    ['fg', 'surface-2'],
    ['muted', 'bg'],
    ['muted', 'surface'],
    ['muted', 'surface-2'],
    ['accent', 'bg'],
    ['accent', 'surface'],
    ['accent-fg', 'accent-strong'],
    ['ok', 'ok-bg'],
    ['warn', 'warn-bg'],
    ['bad', 'bad-bg'],
    ['bad', 'surface'],
    ['idle', 'idle-bg'],
    ['fg', 'bad-strong'],
  ])('when --%s is on --%s, then the ratio is at least 4.5', (fg, bg) => {
    expect(contrastRatio(v(fg), v(bg))).toBeGreaterThanOrEqual(4.5);
  });

  it('computes the known ratio of black on white', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
  });
});
