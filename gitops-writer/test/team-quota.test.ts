/**
 * A team's namespace quota (issue 36) in the renderer: only a tenant marked `team` gets
 * `teamQuota` (each value over the person's `quota`), and no value of it changes a
 * manifest's structure: anything but a quantity or a count is refused before rendering.
 */
import { load } from 'js-yaml';
import { RenderInputError } from '../src/errors.js';
import { render } from '../src/render/render.js';
import type { RenderInput } from '../src/render/types.js';
import { SETTINGS, fullTenant, input, loadTemplates } from './support/fixtures.js';

const quotaOf = (files: Map<string, string>, namespace: string) => {
  const docs = (files.get(`tenants/${namespace}/namespace.yaml`) ?? '').split(/^---$/m).map((doc) => load(doc) as { kind?: string; spec?: { hard?: Record<string, string> } });
  return docs.find((doc) => doc.kind === 'ResourceQuota')?.spec?.hard;
};

describe('team namespace quota', () => {
  const team = { ...fullTenant(2, 'te4m01', 'shop'), team: true };
  const person = fullTenant(1, 'ab12cd', 'shop');

  it('renders the team quota for a team tenant only, each value given over the person\'s', async () => {
    const templates = await loadTemplates();
    const withTeam: RenderInput = { ...input([person, team]), settings: { ...SETTINGS, teamQuota: { limitsCpu: '12', pods: 50 } } };
    const files = render(withTeam, templates);
    const personal = quotaOf(files, 'ab12cd-shop');
    expect(quotaOf(files, 'te4m01-shop')).toEqual({ ...personal, 'limits.cpu': '14', pods: '51' });
    // Without the setting a team tenant renders exactly as a person's would.
    const without = render(input([person, team]), templates);
    expect(quotaOf(without, 'te4m01-shop')).toEqual(personal);
    expect(without.get('tenants/ab12cd-shop/namespace.yaml')).toBe(files.get('tenants/ab12cd-shop/namespace.yaml'));
  });

  it.each([
    [{ limitsCpu: '8\nkind: Secret' }],
    [{ requestsMemory: '{{namespace}}' }],
    [{ pods: 0 }],
    [{ pods: '40' }],
    [{ services: 3 }],
  ])('refuses teamQuota %j before rendering', async (teamQuota) => {
    const templates = await loadTemplates();
    const bad = { ...input([team]), settings: { ...SETTINGS, teamQuota } } as unknown as RenderInput;
    expect(() => render(bad, templates)).toThrow(RenderInputError);
  });
});
