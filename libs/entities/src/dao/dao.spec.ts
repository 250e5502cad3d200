import { notify } from '@keygate/bus';
import { useTestDatabase } from '@keygate/testing';
import { ENTITY_CHANGES } from '../changes';
import { EntityError } from '../schema/errors';
import { PluginRegistry } from '../plugins/registry';
import { EntityStore } from '../store';

const database = useTestDatabase();
let store: EntityStore;

beforeAll(async () => {
  store = new EntityStore(await database.get().db(), new PluginRegistry(['bundled']));
});

async function rejection(promise: Promise<unknown>): Promise<EntityError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EntityError);
  return err as EntityError;
}

describe('EntityDao', () => {
  it('inserts, selects by id and by endpoint key, and maps duplicates to a Kong 409 body', async () => {
    const consumers = store.dao('consumers');
    const alice = await consumers.insert({ username: 'alice', tags: ['team-a'] });
    expect(alice).toMatchObject({ username: 'alice', custom_id: null, tags: ['team-a'] });
    expect(typeof alice.created_at).toBe('number');
    expect(await consumers.select(alice.id)).toEqual(alice);
    expect(await consumers.select('alice')).toEqual(alice);
    const err = await rejection(consumers.insert({ username: 'alice' }));
    expect(err.toBody()).toEqual({
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{username="alice"}'`,
      fields: { username: 'alice' },
    });
    const pk = await rejection(consumers.insert({ id: alice.id, username: 'other' }));
    expect(pk.toBody()).toMatchObject({ code: 3, message: `primary key violation on key '{id="${alice.id}"}'` });
  });

  it('pages by primary key with an opaque offset, filtered by tags', async () => {
    const consumers = store.dao('consumers');
    for (let i = 0; i < 5; i++) await consumers.insert({ username: `pager-${i}`, tags: i % 2 === 0 ? ['even', 'pager'] : ['odd', 'pager'] });
    const first = await consumers.page({ size: '2', tags: 'pager' });
    expect(first.data).toHaveLength(2);
    expect(first.offset).toBeDefined();
    const second = await consumers.page({ size: '2', tags: 'pager', offset: first.offset });
    const third = await consumers.page({ size: '2', tags: 'pager', offset: second.offset });
    expect(third.offset).toBeUndefined();
    const names = [...first.data, ...second.data, ...third.data].map((c) => c.username);
    expect(names.sort()).toEqual(['pager-0', 'pager-1', 'pager-2', 'pager-3', 'pager-4']);
    expect((await consumers.page({ tags: 'even,pager' })).data).toHaveLength(3);
    expect((await consumers.page({ tags: 'even/odd' })).data).toHaveLength(5);
  });

  it('resolves a foreign key given by name, and reports one that does not resolve (code 13)', async () => {
    const service = await store.dao('services').insert({ name: 'svc-fk', url: 'http://upstream:8080' });
    const route = await store.dao('routes').insert({ paths: ['/fk'], service: { name: 'svc-fk' } });
    expect(route.service).toEqual({ id: service.id });
    const err = await rejection(store.dao('routes').insert({ paths: ['/x'], service: { name: 'missing' } }));
    expect(err.toBody()).toEqual({
      code: 13,
      name: 'foreign keys unresolved',
      message: `foreign key unresolved (service.name: the foreign key cannot be resolved with '{name="missing"}' for an existing 'services' entity)`,
      fields: { service: { name: `the foreign key cannot be resolved with '{name="missing"}' for an existing 'services' entity` } },
    });
    const byId = await rejection(store.dao('routes').insert({ paths: ['/y'], service: { id: '00000000-0000-4000-8000-000000000000' } }));
    expect(byId.toBody()).toMatchObject({
      code: 4,
      message: `the foreign key '{id="00000000-0000-4000-8000-000000000000"}' does not reference an existing 'services' entity.`,
    });
  });

  it('refuses to delete a service that routes use (code 4) and deletes it once they are gone', async () => {
    const service = await store.dao('services').insert({ name: 'svc-del', host: 'h' });
    const route = await store.dao('routes').insert({ paths: ['/del'], service: { id: service.id } });
    const err = await rejection(store.dao('services').delete('svc-del'));
    expect(err.toBody()).toEqual({
      code: 4,
      name: 'foreign key violation',
      message: "an existing 'routes' entity references this 'services' entity",
      fields: { '@referenced_by': 'routes' },
    });
    expect(await store.dao('routes').delete(route.id)).toBe(true);
    expect(await store.dao('services').delete('svc-del')).toBe(true);
    expect(await store.dao('services').delete('svc-del')).toBe(false);
  });

  it('PATCH merges onto the stored entity (records field by field) and validates the result', async () => {
    const svc = await store.dao('services').insert({ name: 'svc-patch', host: 'h' });
    const route = await store.dao('routes').insert({ paths: ['/p'], service: { id: svc.id } });
    const plugin = await store.dao('plugins').insert({ name: 'key-auth', route: { id: route.id }, config: { key_names: ['k1'] } });
    const patched = await store.dao('plugins').update(plugin.id, { config: { hide_credentials: true } });
    expect(patched?.config).toMatchObject({ key_names: ['k1'], hide_credentials: true });
    const err = await rejection(store.dao('routes').update(route.id, { paths: null }));
    expect(err.fields).toHaveProperty('@entity');
    expect(await store.dao('routes').update('00000000-0000-4000-8000-000000000000', { paths: ['/q'] })).toBeUndefined();
  });

  it('PUT creates by endpoint key, then replaces the whole entity', async () => {
    const consumers = store.dao('consumers');
    const created = await consumers.upsert('put-user', { custom_id: 'c-1', tags: ['x'] });
    expect(created).toMatchObject({ username: 'put-user', custom_id: 'c-1', tags: ['x'] });
    const replaced = await consumers.upsert('put-user', {});
    expect(replaced).toMatchObject({ id: created.id, username: 'put-user', custom_id: null, tags: null, created_at: created.created_at });
  });

  it('one plugin of a name per scope, with Kong\'s message naming the scope', async () => {
    const route = await store.dao('routes').insert({ paths: ['/plug'] });
    await store.dao('plugins').insert({ name: 'basic-auth', route: { id: route.id } });
    const err = await rejection(store.dao('plugins').insert({ name: 'basic-auth', route: { id: route.id } }));
    expect(err.message).toBe(`UNIQUE violation detected on '{consumer=null,name="basic-auth",route={id="${route.id}"},service=null}'`);
  });

  it('announces each committed write in its transaction, and nothing for a refused one', async () => {
    const db = await database.get().db();
    const client = await db.newClient();
    const heard: string[] = [];
    client.on('notification', (msg) => heard.push(msg.payload ?? ''));
    await client.query(`LISTEN ${ENTITY_CHANGES.name}`);
    const announcing = new EntityStore(db, new PluginRegistry(['bundled']), undefined, (tx, change) => notify(tx, ENTITY_CHANGES, change));
    const created = await announcing.dao('consumers').insert({ username: 'announced' });
    await announcing.dao('consumers').update(created.id, { custom_id: 'c' });
    await rejection(announcing.dao('consumers').insert({ username: 'announced' }));
    await announcing.dao('consumers').delete(created.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.end();
    expect(heard.map((p) => JSON.parse(p) as object)).toEqual([
      { entity: 'consumers', op: 'create', id: created.id },
      { entity: 'consumers', op: 'update', id: created.id },
      { entity: 'consumers', op: 'delete', id: created.id },
    ]);
  });

  it('scopes nested operations to their parent', async () => {
    const a = await store.dao('services').insert({ name: 'scope-a', host: 'a' });
    const b = await store.dao('services').insert({ name: 'scope-b', host: 'b' });
    const route = await store.dao('routes').insert({ paths: ['/scoped'], service: { id: a.id } });
    expect(await store.dao('routes').select(route.id, { field: 'service', id: a.id })).toBeDefined();
    expect(await store.dao('routes').select(route.id, { field: 'service', id: b.id })).toBeUndefined();
    const page = await store.dao('routes').page({ scope: { field: 'service', id: a.id } });
    expect(page.data.map((r) => r.id)).toEqual([route.id]);
  });
});
