import { listen } from '../listen';
import { key } from '../spec';
import { duration, string } from '../types';

/**
 * Secrets management: rotation of `{vault://...}` references and the vault-resolver node.
 * Backend settings are Kong's dynamic `vault_<backend>_<option>` keys (not listed here).
 */
export const VAULT_KEYS = {
  vault_rotation_interval: key({
    type: duration(),
    default: '60s',
    origin: 'kong',
    doc: 'How often references with a `ttl` are re-read (Kong reads `KONG_VAULT_ROTATION_INTERVAL`); also how long a failed lookup waits before it is retried at most, and how often one failing reference may log.',
  }),
  vault_resolver_listen: key({
    type: listen(),
    default: '127.0.0.1:8028',
    origin: 'keygate',
    doc: "Where the vault-resolver node serves its internal API (nodes resolve references found in entities through it, authenticated with `keyring_cluster_secret`). Keep it on loopback or a private address.",
  }),
  vault_resolver_url: key({
    type: string('a URL such as http://vault-resolver:8028'),
    origin: 'keygate',
    doc: 'How other nodes reach the vault-resolver. Unset: `http://` + the first `vault_resolver_listen` address (127.0.0.1 for 0.0.0.0).',
  }),
  vault_resolver_timeout: key({
    type: duration(),
    default: '5s',
    origin: 'keygate',
    doc: 'How long a node waits for the vault-resolver, and the vault-resolver for a backend (AWS, Vault), per call.',
  }),
};
