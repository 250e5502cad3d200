import { consumers } from '../definitions/consumers';
import { keyAuthCredentials } from '../definitions/credentials';
import { pluginsDefinition } from '../definitions/plugins';
import { PluginRegistry } from '../plugins/registry';
import { describeEntity, describeSubschema } from './kong-schema';

describe("schemas in Kong's `fields` shape", () => {
  it('shows an entity as Kong does: auto fields, unique keys, sets, foreign keys, checks', () => {
    const schema = describeEntity(consumers);
    expect(schema.fields.map((field) => Object.keys(field)[0])).toEqual(['id', 'created_at', 'updated_at', 'username', 'custom_id', 'tags']);
    expect(schema.fields[0]).toEqual({ id: { type: 'string', uuid: true, auto: true } });
    expect(schema.fields[1]).toEqual({ created_at: { type: 'integer', timestamp: true, auto: true } });
    expect(schema.fields[3]).toEqual({ username: { type: 'string', len_min: 1, unique: true } });
    expect(schema.fields[5]).toEqual({ tags: { type: 'set', elements: { type: 'string', required: true } } });
    expect(schema.entity_checks).toEqual([{ at_least_one_of: ['custom_id', 'username'] }]);
    expect(describeEntity(keyAuthCredentials).fields).toContainEqual({ consumer: { type: 'foreign', reference: 'consumers', required: true } });
  });

  it("shows key-auth's config with Kong's required fields and defaults (kong/plugins/key-auth/schema.lua)", () => {
    const sub = pluginsDefinition(new PluginRegistry(['bundled'])).subschemas!.get('key-auth')!;
    const { fields } = describeSubschema(sub);
    expect(fields[0]).toEqual({ consumer: { type: 'foreign', reference: 'consumers', eq: null } });
    const config = (fields.find((field) => 'config' in field)!.config as { fields: Array<Record<string, Record<string, unknown>>> }).fields;
    const byName = Object.fromEntries(config.map((field) => Object.entries(field)[0]!));
    expect(byName.key_names).toMatchObject({ type: 'array', required: true, default: ['apikey'] });
    expect(byName.hide_credentials).toEqual({ type: 'boolean', required: true, default: false });
    expect(byName.key_in_body).toEqual({ type: 'boolean', required: true, default: false });
    expect(byName.anonymous).not.toHaveProperty('required');
    expect(byName.realm).not.toHaveProperty('default');
  });
});
