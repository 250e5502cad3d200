import { key } from '../spec';
import { boolean, list, oneOf, origins, redisUrl, string } from '../types';
import { listen } from '../listen';

export const GENERAL_KEYS = {
  prefix: key({
    type: string('an absolute directory path'),
    default: '/usr/local/keygate',
    origin: 'kong',
    doc: "Working directory of the all-in-one node (`keygate start` without an app name): `pids/keygate.pid`, `logs/keygate.log`, `node.json` (its roles' status addresses) and the generated `keyring-cluster-secret`. Kong's default is `/usr/local/kong`. `keygate start -p DIR` overrides it.",
  }),
  nginx_daemon: key({
    type: boolean(),
    default: 'on',
    origin: 'kong',
    doc: '`off`: `keygate start` (all-in-one node) stays in the foreground instead of returning once the node is ready, for containers and systemd (same as `keygate start --foreground`). Kong name; there is no nginx.',
  }),
  log_level: key({
    type: oneOf('debug', 'info', 'notice', 'warn', 'error', 'crit', 'alert', 'emerg'),
    default: 'notice',
    origin: 'kong',
    doc: 'Log verbosity. `notice` logs as `info`; `crit`, `alert` and `emerg` log as `fatal`.',
  }),
  database: key({
    type: oneOf('postgres'),
    default: 'postgres',
    origin: 'kong',
    doc: "Datastore. Keygate needs PostgreSQL; Kong's DB-less mode (`off`) is not supported.",
  }),
  plugins: key({
    type: list(),
    default: 'bundled',
    origin: 'kong',
    doc: 'Plugins to load: `bundled` (key-auth, basic-auth) and/or plugin names.',
  }),
  vaults: key({
    type: list(),
    default: 'bundled',
    origin: 'kong',
    doc: 'Vault backends `{vault://...}` references and `/vaults` entities may use: `bundled` (env, aws, hcv; gcp and azure are not in this version) and/or backend names.',
  }),
  proxy_listen: key({
    type: listen(),
    default: '0.0.0.0:8000 reuseport backlog=16384, 0.0.0.0:8443 http2 ssl reuseport backlog=16384',
    origin: 'kong',
    doc: 'Where the proxy accepts client traffic. `ssl` entries are served over TLS with the certificate chosen by SNI from the `certificates`/`snis` entities, else `ssl_cert`; `ssl http2` entries also serve HTTP/2 (docs/tls.md).',
  }),
  admin_listen: key({
    type: listen(),
    default: '127.0.0.1:8001 reuseport backlog=16384, 127.0.0.1:8444 http2 ssl reuseport backlog=16384',
    origin: 'kong',
    doc: 'Where the Admin API listens. Keep it on a private address: it can change every credential. `ssl` entries are served over TLS with `admin_ssl_cert` (HTTP/1.1 also on `http2` entries; see docs/tls.md).',
  }),
  admin_gui_listen: key({
    type: listen(),
    default: 'off',
    origin: 'kong',
    doc: "Where the admin node serves the cluster page (nodes, active key per node, re-encryption progress; read-only, live over server-sent events). Off by default, unlike Kong (`0.0.0.0:8002, 0.0.0.0:8445 ssl`): set `127.0.0.1:8002` and reach it through an SSH tunnel or a proxy that authenticates. `ssl` entries are served over TLS with `admin_gui_ssl_cert`.",
  }),
  admin_gui_url: key({
    type: origins(),
    origin: 'kong',
    doc: "Kong Manager's URL(s). Browser pages at these origins may call the Admin API (CORS); every other cross-site browser request gets 403. Unset: only the Admin API's own origin and clients that send no `Origin` (curl, SDKs).",
  }),
  status_listen: key({
    type: listen(),
    default: '127.0.0.1:8007 reuseport backlog=16384',
    origin: 'kong',
    doc: 'Per-node status endpoint (`GET /status`, `GET /status/ready`) of whichever app is started. Give each app on one host its own port. `ssl` entries are served over TLS with `status_ssl_cert`.',
  }),
  redis_url: key({
    type: redisUrl(),
    default: 'redis://127.0.0.1:6379',
    origin: 'keygate',
    doc: 'Redis for background jobs (BullMQ). The password, if any, is never printed.',
  }),
};
