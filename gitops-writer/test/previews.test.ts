/**
 * A preview of a pull request (issue 35) rendered beside its service: its own objects under
 * `{service}--pr{n}/`, its own address and image repository, and nothing of the service's
 * env values, volume or size.
 */
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { previewName } from '../src/render/preview.js';
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
    // The build gets them too, as Kaniko build args through its env (the commit it builds).
    const build = files.get('tenants/ab12cd-shop/web--pr12/build-b2b2b2b.yaml') ?? '';
    for (const key of ['DANGUS_PREVIEW_URL', 'DANGUS_PR_NUMBER', 'DANGUS_COMMIT_SHA']) expect(build).toContain(`- --build-arg=${key}=$(${key})`);
    expect(build).toContain('value: http://web-pr12-k3x9q2m7va.apps.example.com');
    expect(build).toContain('value: b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2');
    // A service's build has none of them.
    expect([...files].filter(([path]) => /\/web\/build-/.test(path)).every(([, text]) => !text.includes('--build-arg'))).toBe(true);
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

  it('keeps every object name and label value of the longest preview within 63, by construction', async () => {
    const input = await readJson<RenderInput>(join(TESTDATA, 'previews', 'input', 'input.json'));
    const service = input.tenants[0]?.services[0];
    if (!service?.previews?.[0] || !service.previews[1]) throw new Error('fixture changed');
    // A service name of NAME_MAX (56) and the largest pull request numbers GitHub has.
    service.name = `a${'b'.repeat(54)}c`;
    const numbers = [2_147_483_647, 1000];
    service.previews.forEach((preview, i) => {
      preview.number = numbers[i] ?? 1;
      if (preview.build) preview.build = { ...preview.build, gitTokenSecretName: 'x', registrySecretName: 'x' };
    });
    const files = render(input, await loadTemplates());
    const names = new Set<string>();
    const tooLong: string[] = [];
    for (const [path, text] of files) {
      if (!path.includes('--pr')) continue;
      for (const document of loadAll(text)) {
        const object = document as { metadata?: { name?: string; labels?: Record<string, string> }; spec?: unknown } | null;
        const name = object?.metadata?.name ?? '';
        names.add(name);
        if (name.length > 63) tooLong.push(`${path}: ${name}`);
        for (const [key, value] of Object.entries(object?.metadata?.labels ?? {})) if (value.length > 63) tooLong.push(`${path}: label ${key}=${value}`);
        // Every name the object refers to (its env Secret, selector labels, …).
        for (const match of JSON.stringify(object).matchAll(/"(?:name|secretName|app\.kubernetes\.io\/name|job-name)":"([^"]*)"/g)) {
          if ((match[1] ?? '').length > 63) tooLong.push(`${path}: ${match[0]}`);
        }
      }
    }
    expect(tooLong).toEqual([]);
    // Both previews rendered, each under its own folder, named with its whole number.
    const folders = [...new Set([...files.keys()].filter((path) => path.includes('--pr')).map((path) => path.split('/')[2]))];
    expect(folders.sort()).toEqual([previewName(service.name, 1000), previewName(service.name, 2_147_483_647)].sort());
    expect(folders.every((folder) => (folder ?? '').length <= 56)).toBe(true);
    expect(folders.some((folder) => folder?.includes('--pr2147483647-'))).toBe(true);
    expect([...files.values()].some((text) => text.includes(`name: ${previewName(service.name, 1000)}-env`))).toBe(true);
    expect(names.size).toBeGreaterThan(3);
  });

  it('names short previews `{service}--pr{n}` and long ones apart, never as a service', () => {
    expect(previewName('web', 12)).toBe('web--pr12');
    const long = `s${'x'.repeat(55)}`;
    expect(previewName(long, 1000)).not.toBe(previewName(`${long.slice(0, 40)}y`, 1000));
    expect(previewName(long, 1000)).toMatch(/^sx*--pr1000-[0-9a-f]{8}$/);
    expect(previewName(long, 1000).length).toBeLessThanOrEqual(56);
  });
});
