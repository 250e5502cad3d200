import { useAdminNode, useTestDatabase } from '@keygate/testing';

const database = useTestDatabase();
const admin = useAdminNode(database);

describe('/vaults (Kong shape)', () => {
  it('creates, reads by prefix, lists, patches, replaces and deletes a vault', async () => {
    const created = await admin.api.post<Record<string, unknown>>('/vaults', { form: { name: 'env', prefix: 'my-env', description: 'ENV vault for secrets', 'config.prefix': 'SECURE_', 'config.ttl': '60', 'tags[]': 'team-a' } });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({
      id: expect.any(String),
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
      name: 'env',
      prefix: 'my-env',
      description: 'ENV vault for secrets',
      config: { prefix: 'SECURE_', ttl: 60 },
      tags: ['team-a'],
    });
    expect((await admin.api.get('/vaults/my-env')).json).toEqual(created.json);
    expect((await admin.api.get<{ data: unknown[] }>('/vaults')).json.data).toHaveLength(1);

    const patched = await admin.api.request<{ config: Record<string, unknown> }>('PATCH', '/vaults/my-env', { json: { config: { prefix: 'OTHER_' } } });
    expect(patched.status).toBe(200);
    expect(patched.json.config).toEqual({ prefix: 'OTHER_', ttl: 60 });

    const put = await admin.api.request<Record<string, unknown>>('PUT', '/vaults/my-aws', { json: { name: 'aws', config: { region: 'eu-west-1' } } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ prefix: 'my-aws', name: 'aws', config: { region: 'eu-west-1', role_session_name: 'KongVault' } });

    expect((await admin.api.request('DELETE', '/vaults/my-env')).status).toBe(204);
    expect((await admin.api.get('/vaults/my-env')).status).toBe(404);
  });

  it("answers bad vaults with Kong's schema violation bodies", async () => {
    const unknown = await admin.api.post('/vaults', { json: { name: 'nope', prefix: 'x1' } });
    expect(unknown.status).toBe(400);
    expect(unknown.json).toEqual({ code: 2, name: 'schema violation', message: "schema violation (name: vault 'nope' is not installed)", fields: { name: "vault 'nope' is not installed" } });

    const reserved = await admin.api.post('/vaults', { json: { name: 'env', prefix: 'env' } });
    expect(reserved.json).toMatchObject({ fields: { prefix: 'must not be one of: env, aws, hcv, gcp, azure' } });

    const token = await admin.api.post('/vaults', { json: { name: 'hcv', prefix: 'my-hcv', config: { kv: 'v3' } } });
    expect(token.json).toMatchObject({ fields: { config: { kv: 'expected one of: v1, v2' } } });

    await admin.api.post('/vaults', { json: { name: 'env', prefix: 'dup' } });
    const duplicate = await admin.api.post('/vaults', { json: { name: 'env', prefix: 'dup' } });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json).toMatchObject({ name: 'unique constraint violation', fields: { prefix: 'dup' } });
  });
});
