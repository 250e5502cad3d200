import { newDataKey, Secret, type DataKey } from '@keygate/crypto';
import { metaMac, verifiedMeta, type MetaRow } from './meta';

const key = (id: string): DataKey => ({ id, key: new Secret(newDataKey()) });
const a = key('keyA0001');
const b = key('keyB0002');
const keys = new Map([a, b].map((k) => [k.id, k]));
const row = (k: DataKey, state: MetaRow['state'], generation: string | null, origin: MetaRow['origin'] = 'keygate'): MetaRow => ({
  id: k.id,
  state,
  origin,
  generation,
  mac: metaMac(k, { id: k.id, origin, generation, removed: state === 'tombstoned' }),
});
const view = (rows: MetaRow[]) => verifiedMeta(rows, (id) => keys.get(id), [...keys.keys()]);

describe('keyring_meta rows vouched for by their own key', () => {
  it('the active key is the verified row with the highest generation, whatever `state` says', () => {
    const rows = [{ ...row(a, 'active', '1'), state: 'alive' as const }, { ...row(b, 'alive', '2'), state: 'active' as const }];
    expect(view(rows).active).toEqual({ id: 'keyB0002', generation: 2n });
  });

  it('ignores rows edited without the key: a raised generation, a removal, a changed origin', () => {
    const genuine = [row(a, 'active', '2'), row(b, 'alive', '1')];
    expect(view([genuine[0]!, { ...genuine[1]!, generation: '99' }])).toMatchObject({ active: { id: 'keyA0001' }, unverified: ['keyB0002'] });
    expect(view([{ ...genuine[0]!, state: 'tombstoned' }, genuine[1]!])).toMatchObject({ removed: [], unverified: ['keyA0001'] });
    expect(view([genuine[0]!, { ...genuine[1]!, origin: 'kong' }]).origins.get('keyB0002')).toBeUndefined();
  });

  it('a row signed by another key does not verify; a missing row leaves the held key unverified, not removed', () => {
    const forged = { ...row(b, 'active', '5'), id: 'keyA0001' };
    expect(view([forged, row(b, 'alive', null)])).toMatchObject({ active: undefined, unverified: ['keyA0001'] });
    expect(view([row(b, 'active', '1')])).toMatchObject({ removed: [], unverified: ['keyA0001'] });
  });

  it('a signed tombstone removes; rows for keys not held are asked for unless they say removed', () => {
    const c = key('keyC0003');
    expect(view([row(a, 'tombstoned', '1'), row(b, 'active', '2'), row(c, 'alive', null), row(key('keyD0004'), 'tombstoned', null)])).toMatchObject({
      active: { id: 'keyB0002' },
      removed: ['keyA0001'],
      notHeld: ['keyC0003'],
    });
  });
});
