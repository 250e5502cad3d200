import { call } from '../test/client';
import { startVaultDev, type VaultDev } from './index';

const ENVELOPE_KEYS = ['auth', 'data', 'lease_duration', 'lease_id', 'mount_type', 'renewable', 'request_id', 'warnings', 'wrap_info'];

describe('KV secrets engines', () => {
  let vault: VaultDev;

  beforeAll(async () => {
    vault = await startVaultDev({ rootToken: 'root', mounts: [{ path: 'secret', version: 2 }, { path: 'kv1', version: 1 }] });
  });
  afterAll(() => vault.stop());

  describe('version 1', () => {
    it('writes, reads, lists and deletes unversioned secrets', async () => {
      expect(await call(vault, 'PUT', 'kv1/kong/db', { body: { pg_user: 'kong', pg_password: 'KongFTW' } })).toEqual({ status: 204, body: undefined });
      await call(vault, 'POST', 'kv1/kong/redis', { body: { password: 'r' } });
      const read = await call(vault, 'GET', 'kv1/kong/db');
      expect(read.status).toBe(200);
      expect(Object.keys(read.body).sort()).toEqual(ENVELOPE_KEYS);
      expect(read.body).toMatchObject({ data: { pg_user: 'kong', pg_password: 'KongFTW' }, lease_duration: 2764800, renewable: false, lease_id: '', auth: null });
      expect((await call(vault, 'GET', 'kv1/?list=true')).body.data.keys).toEqual(['kong/']);
      expect((await call(vault, 'GET', 'kv1/kong?list=true')).body.data.keys).toEqual(['db', 'redis']);
      expect(await call(vault, 'DELETE', 'kv1/kong/db')).toMatchObject({ status: 204 });
      expect(await call(vault, 'GET', 'kv1/kong/db')).toEqual({ status: 404, body: { errors: [] } });
    });
  });

  describe('version 2', () => {
    it('keeps every version with its metadata, as a keyring reads it', async () => {
      const keys = [
        { id: 'k1', key: 'c2VjcmV0LTE=' },
        { id: 'k2', key: 'c2VjcmV0LTI=' },
        { id: 'k3', key: 'c2VjcmV0LTM=' },
      ];
      for (const [i, key] of keys.entries()) {
        const written = await call(vault, 'POST', 'secret/data/keygate/keyring', { body: { data: key } });
        expect(written.status).toBe(200);
        expect(written.body.data).toEqual({ created_time: expect.any(String), custom_metadata: null, deletion_time: '', destroyed: false, version: i + 1 });
      }
      const metadata = await call(vault, 'GET', 'secret/metadata/keygate/keyring');
      expect(metadata.body.data).toMatchObject({ current_version: 3, oldest_version: 0, max_versions: 0, cas_required: false, delete_version_after: '0s' });
      expect(Object.keys(metadata.body.data.versions)).toEqual(['1', '2', '3']);
      expect(metadata.body.data.versions['1']).toEqual({ created_time: expect.any(String), deletion_time: '', destroyed: false });

      for (let version = 1; version <= metadata.body.data.current_version; version += 1) {
        const read = await call(vault, 'GET', `secret/data/keygate/keyring?version=${version}`);
        expect(read.status).toBe(200);
        expect(read.body.data.data).toEqual(keys[version - 1]);
        expect(read.body.data.metadata.version).toBe(version);
      }
      expect((await call(vault, 'GET', 'secret/data/keygate/keyring')).body.data.data).toEqual(keys[2]);
      expect(await call(vault, 'GET', 'secret/data/keygate/keyring?version=9')).toEqual({ status: 404, body: { errors: [] } });
    });

    it('enforces check-and-set', async () => {
      expect((await call(vault, 'POST', 'secret/data/cas', { body: { data: { a: 1 }, options: { cas: 0 } } })).status).toBe(200);
      expect(await call(vault, 'POST', 'secret/data/cas', { body: { data: { a: 2 }, options: { cas: 0 } } })).toEqual({
        status: 400,
        body: { errors: ['check-and-set parameter did not match the current version'] },
      });
      expect((await call(vault, 'POST', 'secret/data/cas', { body: { data: { a: 2 }, options: { cas: 1 } } })).body.data.version).toBe(2);
      await call(vault, 'POST', 'secret/metadata/cas', { body: { cas_required: true } });
      expect(await call(vault, 'POST', 'secret/data/cas', { body: { data: { a: 3 } } })).toEqual({
        status: 400,
        body: { errors: ['check-and-set parameter required for this call'] },
      });
      expect(await call(vault, 'POST', 'secret/data/cas', { body: { nodata: true } })).toEqual({ status: 400, body: { errors: ['no data provided'] } });
    });

    it('soft-deletes, undeletes and destroys versions', async () => {
      for (const n of [1, 2, 3]) await call(vault, 'POST', 'secret/data/lifecycle', { body: { data: { n } } });
      expect(await call(vault, 'POST', 'secret/delete/lifecycle', { body: { versions: [1] } })).toMatchObject({ status: 204 });
      const deleted = await call(vault, 'GET', 'secret/data/lifecycle?version=1');
      expect(deleted.status).toBe(404);
      expect(deleted.body.data).toEqual({ data: null, metadata: expect.objectContaining({ version: 1, destroyed: false, deletion_time: expect.stringMatching(/^\d{4}-/) }) });

      await call(vault, 'POST', 'secret/undelete/lifecycle', { body: { versions: [1] } });
      expect((await call(vault, 'GET', 'secret/data/lifecycle?version=1')).body.data.data).toEqual({ n: 1 });

      await call(vault, 'POST', 'secret/destroy/lifecycle', { body: { versions: [2] } });
      const destroyed = await call(vault, 'GET', 'secret/data/lifecycle?version=2');
      expect(destroyed.status).toBe(404);
      expect(destroyed.body.data.metadata.destroyed).toBe(true);

      // DELETE on data/ soft-deletes the latest version.
      await call(vault, 'DELETE', 'secret/data/lifecycle');
      expect((await call(vault, 'GET', 'secret/data/lifecycle')).status).toBe(404);
      expect((await call(vault, 'GET', 'secret/metadata/lifecycle')).body.data.versions['3']?.deletion_time).not.toBe('');

      expect(await call(vault, 'DELETE', 'secret/metadata/lifecycle')).toMatchObject({ status: 204 });
      expect(await call(vault, 'GET', 'secret/metadata/lifecycle')).toEqual({ status: 404, body: { errors: [] } });
      expect(await call(vault, 'GET', 'secret/data/lifecycle')).toEqual({ status: 404, body: { errors: [] } });
    });

    it('trims old versions past max_versions and reports oldest_version', async () => {
      await call(vault, 'POST', 'secret/metadata/trimmed', { body: { max_versions: 2 } });
      for (const n of [1, 2, 3]) await call(vault, 'POST', 'secret/data/trimmed', { body: { data: { n } } });
      const metadata = (await call(vault, 'GET', 'secret/metadata/trimmed')).body.data;
      expect(metadata).toMatchObject({ current_version: 3, oldest_version: 2, max_versions: 2 });
      expect(Object.keys(metadata.versions)).toEqual(['2', '3']);
    });

    it('patches the latest version and lists keys under metadata/', async () => {
      await call(vault, 'POST', 'secret/data/app/one', { body: { data: { a: 1, b: 2 } } });
      await call(vault, 'POST', 'secret/data/app/two', { body: { data: { c: 3 } } });
      const patched = await call(vault, 'PATCH', 'secret/data/app/one', { body: { data: { b: null, d: 4 } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
      expect(patched.body.data.version).toBe(2);
      expect((await call(vault, 'GET', 'secret/data/app/one')).body.data.data).toEqual({ a: 1, d: 4 });
      expect((await call(vault, 'GET', 'secret/metadata/app?list=true')).body.data.keys).toEqual(['one', 'two']);
      expect((await call(vault, 'GET', 'secret/metadata/nothing-here?list=true')).status).toBe(404);
    });

    it('answers a KV v1 style path on a v2 mount the way Vault does', async () => {
      const answer = await call(vault, 'GET', 'secret/app/one');
      expect(answer.status).toBe(404);
      expect(answer.body.warnings?.[0]).toMatch(/^Invalid path for a versioned K\/V secrets engine/);
    });

    it('writes through the test helper', async () => {
      expect(vault.writeSecret('secret', 'helper/key', { x: 1 })).toBe(1);
      expect(vault.writeSecret('secret', 'helper/key', { x: 2 })).toBe(2);
      vault.writeSecret('kv1', 'helper/key', { y: 1 });
      expect((await call(vault, 'GET', 'secret/data/helper/key')).body.data.data).toEqual({ x: 2 });
      expect((await call(vault, 'GET', 'kv1/helper/key')).body.data).toEqual({ y: 1 });
    });
  });

  it('reports mounts as the vault CLI asks for them', async () => {
    expect((await call(vault, 'GET', 'sys/internal/ui/mounts/secret/data/x')).body.data).toMatchObject({ path: 'secret/', type: 'kv', options: { version: '2' } });
    expect(Object.keys((await call(vault, 'GET', 'sys/mounts')).body.data).sort()).toEqual(['kv1/', 'secret/']);
    expect(await call(vault, 'GET', 'nomount/x')).toEqual({ status: 404, body: { errors: ['no handler for route "nomount/x". route entry not found.'] } });
  });
});
