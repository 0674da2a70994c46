/**
 * Every user-controlled field against hostile strings (issue 4): each value is
 * either rejected by the shared zod schemas, or comes back byte for byte after
 * parsing the rendered YAML, under both YAML 1.2 (js-yaml) and YAML 1.1 rules (the
 * family Kubernetes' decoder belongs to), without adding or removing a document.
 */
import { YAML11_SCHEMA, loadAll } from 'js-yaml';
import { RenderInputError } from '../src/errors.js';
import { render } from '../src/render/render.js';
import type { RenderInput, ServiceInput, TenantInput } from '../src/render/types.js';
import { gitCloneUrl } from '../src/render/variables.js';
import type { TemplateSet } from '../src/templates/template-files.js';
import { fullTenant, input, loadTemplates } from './support/fixtures.js';

const HOSTILE = [
  `it's "quoted"`,
  'line one\nline two',
  '{{namespace}}',
  '{{ image }}',
  'key: value',
  '# a comment',
  '&anchor',
  '*alias',
  '!!python/object:os.system',
  '!!python/object',
  '---',
  '--- !!map',
  'ünïcødé ✓ 𝄞',
  'ünïcødé-✓-𝄞',
  'yes',
  '0755',
  '~',
  'x'.repeat(10_000),
];
// Path-like fields only accept values of a certain shape: try each value bare and
// in the positions such a field allows, so the schemas are really exercised.
const VARIANTS = HOSTILE.flatMap((value) => [value, `/${value}`, `a${value}`, `release/${value}`]);

type Field = {
  name: string;
  set: (tenant: TenantInput, value: string) => void;
  /** The string the value must appear as in the output. */
  appearsAs: (value: string) => string;
};

const web = (tenant: TenantInput): ServiceInput => {
  const first = tenant.services[0];
  if (first === undefined) throw new Error('fixture has a service');
  return first;
};

const FIELDS: Field[] = [
  { name: 'project.name', set: (t, v) => { t.project.name = v; t.namespace = `${t.userHash}-${v}`; }, appearsAs: (v) => `ab12cd-${v}` },
  { name: 'namespace', set: (t, v) => { t.namespace = v; }, appearsAs: (v) => v },
  { name: 'userHash', set: (t, v) => { t.userHash = v; }, appearsAs: (v) => v },
  { name: 'project.id', set: (t, v) => { t.project.id = v; }, appearsAs: (v) => v },
  { name: 'service.name', set: (t, v) => { web(t).name = v; }, appearsAs: (v) => v },
  { name: 'service.id', set: (t, v) => { web(t).id = v; }, appearsAs: (v) => v },
  {
    name: 'repoUrl',
    set: (t, v) => { web(t).repoUrl = v; },
    appearsAs: (v) => gitCloneUrl(v),
  },
  {
    name: 'branch',
    set: (t, v) => { web(t).branch = v; },
    appearsAs: (v) => v,
  },
  { name: 'dockerfilePath', set: (t, v) => { web(t).dockerfilePath = v; }, appearsAs: (v) => v },
  { name: 'healthCheckPath', set: (t, v) => { web(t).healthCheckPath = v; }, appearsAs: (v) => v },
  // Numbers in the schema: a string of any kind is refused, never rendered.
  { name: 'port', set: (t, v) => { (web(t) as unknown as Record<string, unknown>).port = v; }, appearsAs: (v) => v },
  { name: 'storageGb', set: (t, v) => { (web(t) as unknown as Record<string, unknown>).storageGb = v; }, appearsAs: (v) => v },
  { name: 'envRevision', set: (t, v) => { web(t).envRevision = v; }, appearsAs: (v) => v },
  { name: 'image', set: (t, v) => { web(t).image = v; }, appearsAs: (v) => v },
  { name: 'currentDeploymentId', set: (t, v) => { web(t).currentDeploymentId = v; }, appearsAs: (v) => v },
  { name: 'build.commitSha', set: (t, v) => { buildOf(t).commitSha = v; }, appearsAs: (v) => v },
  { name: 'build.deploymentId', set: (t, v) => { buildOf(t).deploymentId = v; }, appearsAs: (v) => v },
  { name: 'build.gitTokenSecretName', set: (t, v) => { buildOf(t).gitTokenSecretName = v; }, appearsAs: (v) => v },
  { name: 'build.registrySecretName', set: (t, v) => { buildOf(t).registrySecretName = v; }, appearsAs: (v) => v },
];

function buildOf(tenant: TenantInput): NonNullable<ServiceInput['build']> {
  const build = web(tenant).build;
  if (build === null) throw new Error('fixture has a build');
  return build;
}

/** Every string scalar of every document, and the number of documents per file. */
function scan(files: Map<string, string>, schema?: typeof YAML11_SCHEMA): { strings: Set<string>; shape: string[] } {
  const strings = new Set<string>();
  const shape: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') strings.add(node);
    else if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        strings.add(key);
        walk(value);
      }
    }
  };
  for (const [path, text] of files) {
    const documents = loadAll(text, schema === undefined ? {} : { schema });
    // flux/{namespace}.yaml is named after the tenant: its shape is its role.
    const file = /^flux\/(?!kustomization\.yaml$)/.test(path) ? 'flux/{namespace}.yaml' : (path.split('/').pop() ?? path);
    shape.push(`${file}:${String(documents.length)}`);
    documents.forEach(walk);
  }
  return { strings, shape: shape.sort() };
}

const cases = FIELDS.flatMap((field) => VARIANTS.map((value) => [field.name, value, field] as const));
const outcomes = new Map<string, 'rejected' | 'round-trip'>();
let templates: TemplateSet;
let baselineShape: string[];

beforeAll(async () => {
  templates = await loadTemplates();
  baselineShape = scan(render(input([fullTenant(1, 'ab12cd', 'shop')]), templates)).shape;
});

describe('hostile values in user-controlled fields', () => {
  it.each(cases)('%s = %j is rejected or comes back unchanged', (name, value, field) => {
    const tenant = fullTenant(1, 'ab12cd', 'shop');
    field.set(tenant, value);
    const renderInput: RenderInput = input([tenant]);
    let files: Map<string, string>;
    try {
      files = render(renderInput, templates);
    } catch (error) {
      expect(error).toBeInstanceOf(RenderInputError);
      outcomes.set(`${name} ${value}`, 'rejected');
      return;
    }
    const expected = field.appearsAs(value);
    const core = scan(files);
    const yaml11 = scan(files, YAML11_SCHEMA);
    expect(core.strings.has(expected)).toBe(true);
    expect(yaml11.strings.has(expected)).toBe(true);
    expect(core.shape).toEqual(baselineShape);
    outcomes.set(`${name} ${value}`, 'round-trip');
  });

  it('lets some hostile values through, so the round trip is really tested', () => {
    const roundTrips = [...outcomes].filter(([, outcome]) => outcome === 'round-trip').map(([key]) => key);
    expect(roundTrips).toEqual(
      expect.arrayContaining([
        'branch {{namespace}}',
        'branch &anchor',
        'branch !!python/object',
        'branch ünïcødé-✓-𝄞',
        'service.name yes',
        'dockerfilePath ---',
        'healthCheckPath /&anchor',
        'healthCheckPath /*alias',
        'healthCheckPath /!!python/object:os.system',
      ]),
    );
  });
});
