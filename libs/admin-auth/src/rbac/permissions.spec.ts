import { allowsEntity } from './entities';
import { allows, BUILT_IN_ROLES, normalizeEndpoint, parseActions, type EndpointPermission } from './permissions';

const role = (name: string) => BUILT_IN_ROLES.find((r) => r.name === name)?.permissions ?? [];
const p = (endpoint: string, actions: string, negative = false): EndpointPermission => ({ workspace: 'default', endpoint: normalizeEndpoint(endpoint), actions: parseActions(actions), negative });

describe('endpoint permissions', () => {
  it('read-only reads entities but never the keyring or vaults, and writes nothing', () => {
    const ro = role('read-only');
    expect(allows(ro, '/consumers', 'read')).toBe(true);
    expect(allows(ro, '/consumers/bob/key-auth', 'read')).toBe(true);
    expect(allows(ro, '/consumers', 'create')).toBe(false);
    expect(allows(ro, '/keyring', 'read')).toBe(false);
    expect(allows(ro, '/KEYRING/active', 'read')).toBe(false);
    expect(allows(ro, '/vaults/aws-prod', 'read')).toBe(false);
  });

  it('admin does everything but RBAC; super-admin everything', () => {
    const admin = role('admin');
    expect(allows(admin, '/keyring/import/raw', 'create')).toBe(true);
    expect(allows(admin, '/vaults', 'create')).toBe(true);
    expect(allows(admin, '/services/a/routes/b', 'delete')).toBe(true);
    for (const path of ['/rbac', '/rbac/users', '/rbac/roles/x/endpoints', '/Rbac/users/%61']) expect(allows(admin, path, 'read')).toBe(false);
    const sa = role('super-admin');
    expect(allows(sa, '/rbac/users/u/roles', 'create')).toBe(true);
    expect(allows(sa, '/keyring/vault/sync', 'create')).toBe(true);
  });

  it('a wildcard reaches the keyring only when the permission names it; the most specific match decides; a deny wins a tie', () => {
    expect(allows([p('*', '*')], '/keyring/generate', 'create')).toBe(false);
    expect(allows([p('/*/*', '*')], '/keyring/generate', 'create')).toBe(false);
    expect(allows([p('/keyring/*', 'create')], '/keyring/generate', 'create')).toBe(true);
    expect(allows([p('*', 'read'), p('/consumers/*', 'read', true)], '/consumers/bob', 'read')).toBe(false);
    expect(allows([p('*', 'read'), p('/consumers/*', 'read', true), p('/consumers/bob', 'read')], '/consumers/bob', 'read')).toBe(true);
    expect(allows([p('/consumers/*', 'read'), p('/consumers/*', 'read', true)], '/consumers/x', 'read')).toBe(false);
    expect(allows([p('/consumers', 'read')], '/consumers/x', 'read')).toBe(false);
    expect(allows([], '/consumers', 'read')).toBe(false);
  });

  it('node enrollment (/cluster) needs a permission that names it, as the keyring does', () => {
    for (const path of ['/cluster/enrollment-tokens', '/cluster/credentials/x']) {
      expect(allows([p('*', '*')], path, 'create')).toBe(false);
      expect(allows([p('/*/*', '*'), p('/*/*/*', '*')], path, 'delete')).toBe(false);
      expect(allows(role('read-only'), path, 'read')).toBe(false);
      // A node enrolled gets the cluster secret, the key of the RBAC rows `admin` may not touch.
      expect(allows(role('admin'), path, 'create')).toBe(false);
      expect(allows(role('super-admin'), path, 'delete')).toBe(true);
    }
    expect(allows([p('/cluster/*', 'create')], '/cluster/enrollment-tokens', 'create')).toBe(true);
  });

  it("parses Kong's actions and normalises endpoints", () => {
    expect(parseActions('read,create')).toBe(3);
    expect(parseActions(['*'])).toBe(15);
    expect(() => parseActions('read,fly')).toThrow('Undefined RBAC action fly');
    expect(normalizeEndpoint(' consumers/ ')).toBe('/consumers');
    expect(normalizeEndpoint('*')).toBe('*');
  });
});

describe('entity permissions', () => {
  const e = (entity_id: string, actions: string, negative = false) => ({ entity_id, entity_type: entity_id === '*' ? 'wildcard' : 'services', actions: parseActions(actions), negative });
  const id = '6f3e2d1c-0b9a-4877-8655-443322110000';

  it("the entity's own permissions decide before `*`; a deny before an allow; nothing matching denies", () => {
    expect(allowsEntity([e(id, 'read')], id, 'read')).toBe(true);
    expect(allowsEntity([e(id, 'read')], id, 'update')).toBe(false);
    expect(allowsEntity([e(id, 'read')], id.toUpperCase(), 'read')).toBe(true);
    expect(allowsEntity([e('*', 'read')], id, 'read')).toBe(true);
    expect(allowsEntity([e('*', 'read', true), e(id, 'read')], id, 'read')).toBe(true);
    expect(allowsEntity([e('*', 'read'), e(id, 'read', true)], id, 'read')).toBe(false);
    expect(allowsEntity([e(id, 'read'), e(id, 'read', true)], id, 'read')).toBe(false);
    expect(allowsEntity([e(id, 'update', true), e('*', 'read')], id, 'read')).toBe(true);
    expect(allowsEntity([], id, 'read')).toBe(false);
    expect(allowsEntity([e(id, '*')], '', 'create')).toBe(false);
  });
});
