import { selfSignedCertificate } from '@keygate/crypto';
import { silentLogger } from '@keygate/logging';
import type { CertificateData, SniData } from '../state/types';
import { SniIndex } from './sni';

const cert = (id: string): CertificateData => {
  const made = selfSignedCertificate({ commonName: id });
  return { id, cert: made.cert, key: made.key, cert_alt: null, key_alt: null };
};

describe('SniIndex (Kong lookup order)', () => {
  const certs = new Map(['exact', 'prefix', 'suffix', 'any'].map((id) => [id, cert(id)]));
  const snis: SniData[] = [
    { id: '1', name: 'api.example.test', certificate_id: 'exact' },
    { id: '2', name: '*.example.test', certificate_id: 'prefix' },
    { id: '3', name: 'api.example.*', certificate_id: 'suffix' },
    { id: '4', name: '*', certificate_id: 'any' },
  ];
  const index = new SniIndex({}, silentLogger());
  index.rebuild(certs, snis);
  const owner = (name: string) => {
    const found = index.lookup(name);
    return [...certs.keys()].find((id) => found !== undefined && index.lookup(snis.find((s) => s.certificate_id === id)!.name) === found);
  };

  it('exact, then prefix wildcard, then suffix wildcard, then *', () => {
    expect(owner('api.example.test')).toBe('exact');
    expect(owner('API.EXAMPLE.TEST')).toBe('exact');
    expect(owner('www.example.test')).toBe('prefix');
    expect(owner('api.example.org')).toBe('suffix');
    expect(owner('other.test')).toBe('any');
    expect(index.lookup('')).toBeUndefined();
  });

  it('without a * name, an unknown name gets the default (undefined); a bad row is left out', () => {
    const bad = { id: 'bad', cert: 'not a certificate', key: 'not a key', cert_alt: null, key_alt: null };
    const partial = new SniIndex({}, silentLogger());
    partial.rebuild(new Map([...certs, ['bad', bad]]), [snis[0]!, { id: '5', name: 'bad.test', certificate_id: 'bad' }]);
    expect(partial.lookup('other.test')).toBeUndefined();
    expect(partial.lookup('bad.test')).toBeUndefined();
    expect(partial.size).toBe(1);
  });
});
