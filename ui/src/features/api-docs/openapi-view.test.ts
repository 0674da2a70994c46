import { filterOperations, operationsByTag, schemaFields, typeLabel, type OpenApiDocument } from './openapi-view';

/** A document of the shape the api generates (api/src/http/openapi/document.ts), cut down. */
const document: OpenApiDocument = {
  paths: {
    '/healthz': { get: { operationId: 'getHealthz', summary: 'The process answers', tags: ['Health'], security: [], responses: { '200': { description: 'OK.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Health' } } } } } } },
    '/api/projects': {
      get: { operationId: 'getApiProjects', summary: 'Your projects', tags: ['Projects'], security: [{ session: [] }], responses: { '200': { description: 'OK.', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Project' } } } } }, '401': { $ref: '#/components/responses/Error401' } } },
      post: {
        operationId: 'postApiProjects',
        summary: 'Create a project',
        tags: ['Projects'],
        security: [{ session: [] }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateProject' } } } },
        responses: { '201': { description: 'Created.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Project' } } } }, '400': { $ref: '#/components/responses/Error400' } },
      },
    },
    '/api/admin/users/{userId}': {
      delete: {
        operationId: 'deleteApiAdminUsersUserId',
        summary: 'Remove a user',
        tags: ['Admin'],
        security: [{ session: [] }],
        'x-dangus-access': 'admin',
        parameters: [
          { in: 'path', name: 'userId', required: true, schema: { type: 'string', format: 'uuid' } },
          { in: 'query', name: 'deleteProjects', schema: { type: 'string', enum: ['true', 'false'], description: 'Delete their projects too.' } },
        ],
        responses: { '204': { description: 'Done; no body.' }, '404': { $ref: '#/components/responses/Error404' } },
      },
    },
  },
  components: {
    schemas: {
      Project: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string', description: 'Its name.' } }, required: ['id'] },
    },
    responses: {
      Error400: { description: 'Invalid input.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      Error401: { description: 'No session.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      Error404: { description: 'No such object.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    },
  },
};

describe('the API page reads the OpenAPI document', () => {
  it('groups operations by tag, in the document\'s order, with who may call them', () => {
    const groups = operationsByTag(document);
    expect(groups.map((g) => [g.tag, g.operations.map((op) => `${op.method} ${op.path} (${op.access})`)])).toEqual([
      ['Health', ['GET /healthz (public)']],
      ['Projects', ['GET /api/projects (signed-in)', 'POST /api/projects (signed-in)']],
      ['Admin', ['DELETE /api/admin/users/{userId} (admin)']],
    ]);
  });

  it('names bodies, answers and parameters, resolving the shared error answers', () => {
    const [, projects, admin] = operationsByTag(document);
    const create = projects?.operations[1];
    expect(create?.body).toBe('CreateProject');
    expect(create?.answers).toEqual([
      { status: '201', description: 'Created.', mediaType: 'application/json', type: 'Project' },
      { status: '400', description: 'Invalid input.', mediaType: 'application/json', type: 'Error' },
    ]);
    expect(projects?.operations[0]?.answers[0]?.type).toBe('Project[]');
    expect(admin?.operations[0]?.parameters).toEqual([
      { name: 'userId', in: 'path', required: true, type: 'string (uuid)', description: null },
      { name: 'deleteProjects', in: 'query', required: false, type: '"true" | "false"', description: 'Delete their projects too.' },
    ]);
    expect(admin?.operations[0]?.answers[0]).toEqual({ status: '204', description: 'Done; no body.', mediaType: null, type: null });
  });

  it.each([
    [{ anyOf: [{ type: 'string' }, { type: 'null' }] }, 'string | null'],
    [{ type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } }, '{ [key]: string[] }'],
    [{ type: 'integer' }, 'integer'],
    [{ const: 'deployed' }, '"deployed"'],
    [undefined, 'any'],
  ])('labels %j as %s', (schema, label) => {
    expect(typeLabel(schema)).toBe(label);
  });

  it("lists a schema's fields, and filters operations by every word", () => {
    expect(schemaFields(document.components?.schemas?.Project ?? {})).toEqual([
      { name: 'id', type: 'string (uuid)', required: true, description: null },
      { name: 'name', type: 'string', required: false, description: 'Its name.' },
    ]);
    const groups = operationsByTag(document);
    expect(filterOperations(groups, 'post projects').flatMap((g) => g.operations.map((op) => op.id))).toEqual(['postApiProjects']);
    expect(filterOperations(groups, 'admin').map((g) => g.tag)).toEqual(['Admin']);
    expect(filterOperations(groups, 'nothing-like-this')).toEqual([]);
    expect(filterOperations(groups, '  ')).toBe(groups);
  });
});
