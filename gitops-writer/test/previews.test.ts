/**
 * A preview of a pull request (issue 35) rendered beside its service: its own objects under
 * `{service}--pr{n}/`, its own address and image repository, and nothing of the service's
 * env values, volume or size.
 */
import { join } from 'node:path';
import { render } from '../src/render/render.js';
import type { RenderInput } from '../src/render/types.js';
import { TESTDATA, loadTemplates, readJson } from './support/fixtures.js';

describe('previews in the tenant tree', () => {
  it('never reference the service\'s env Secret, volume or image repository, and carry their own URL, number and commit', async () => {
    const input = await readJson<RenderInput>(join(TESTDATA, 'previews', 'input', 'input.json'));
    const files = render(input, await loadTemplates());
    const previewFiles = [...files].filter(([path]) => path.includes('/web--pr'));
    expect(previewFiles.length).toBeGreaterThan(0);
    for (const [path, text] of previewFiles) {
      expect({ path, envSecret: /\bweb-env\b/.test(text), volume: /web-data|persistentVolumeClaim/.test(text), serviceImage: /ab12cd-shop\/web[:@]/.test(text) }).toEqual({
        path,
        envSecret: false,
        volume: false,
        serviceImage: false,
      });
    }
    const deployment = files.get('tenants/ab12cd-shop/web--pr7/deployment.yaml') ?? '';
    expect(deployment).toContain('name: web--pr7-env');
    expect(deployment).toContain('value: http://web-pr7-p0o9i8u7y6.apps.example.com');
    expect(deployment).toContain("value: '7'");
    expect(deployment).toContain('value: c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3');
    expect(deployment).not.toContain('resources:');
    // The service's own Deployment has none of the preview variables.
    expect(files.get('tenants/ab12cd-shop/web/deployment.yaml')).not.toContain('DANGUS_PREVIEW_URL');
  });

  it('refuses a preview whose host is another service\'s', async () => {
    const input = await readJson<RenderInput>(join(TESTDATA, 'previews', 'input', 'input.json'));
    const service = input.tenants[0]?.services[0];
    const preview = service?.previews?.[0];
    if (!service || !preview) throw new Error('fixture changed');
    preview.host = service.host;
    const templates = await loadTemplates();
    let fields: Record<string, string[]> = {};
    try {
      render(input, templates);
    } catch (error) {
      fields = (error as { fields: Record<string, string[]> }).fields;
    }
    expect(fields['tenants.0.services.0.host']).toContain('Duplicate host.');
  });
});
