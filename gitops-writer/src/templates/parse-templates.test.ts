import { TemplateError } from '../errors.js';
import { parseTemplates } from './parse-templates.js';
import type { TemplateTexts } from './template-files.js';

const VALID: TemplateTexts = {
  namespace: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "{{namespace}}"\n',
  deployment: 'kind: Deployment\nimage: "{{image}}"\n',
  service: 'kind: Service\nport: "{{port}}"\n',
  ingress: 'kind: Ingress\nhost: "{{host}}"\n',
  pvc: 'kind: PersistentVolumeClaim\nsize: "{{storage_size}}"\n',
  buildJob: 'kind: Job\nsha: "{{commit_sha}}"\nns: "{{namespace}}"\n',
  customDomains: 'kind: ConfigMap\ndomains: "{{custom_domains_listed}}"\n',
  customDomain: 'kind: Ingress\nhost: "{{custom_domain}}"\n',
};

describe('parseTemplates', () => {
  it('parses every template into its documents', () => {
    const set = parseTemplates({ ...VALID, service: 'a: 1\n---\nb: "{{port}}"\n' });
    expect(set.service.documents).toEqual([{ a: 1 }, { b: '{{port}}' }]);
    expect(set.buildJob.file).toBe('build-job.yaml');
  });

  it.each([
    ['an unquoted placeholder (a YAML flow mapping)', 'service', 'image: {{image}}\n', 'service.yaml'],
    ['a service variable in the namespace template', 'namespace', 'name: "{{service_name}}"\n', 'unknown variable'],
    ['a build variable in a service template', 'deployment', 'sha: "{{commit_sha}}"\n', 'unknown variable'],
    ['a partial placeholder', 'pvc', 'name: "{{service_name}}-data"\n', 'whole value'],
    ['a document that is a list', 'ingress', '- a\n- b\n', 'not a mapping'],
    ['invalid YAML', 'service', 'a: [\n', 'not valid YAML'],
  ] as const)('rejects %s', (_name, kind, text, message) => {
    expect(() => parseTemplates({ ...VALID, [kind]: text })).toThrow(TemplateError);
    expect(() => parseTemplates({ ...VALID, [kind]: text })).toThrow(message);
  });
});
