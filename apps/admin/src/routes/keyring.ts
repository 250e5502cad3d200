import type { Request, Router } from 'express';
import type { KeyOrigin } from '@keygate/crypto';
import { KeyringError, type KeyringService } from '@keygate/keyring';
import { route } from './route';

const field = (req: Request, name: string): unknown => (req.body as Record<string, unknown>)[name];

const badParam = (message: string) => new KeyringError('KEYRING_BAD_REQUEST', message);

/** A required, non-empty string parameter. */
function required(req: Request, name: string, message: string): string {
  const value = field(req, name);
  if (typeof value !== 'string' || value === '') throw badParam(message);
  return value;
}

/** `true`/`false` (form or JSON); absent is false. */
function flag(req: Request, name: string, message: string): boolean {
  const value = field(req, name);
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw badParam(message);
}

/** `origin`: `kong` for a key taken from a Kong database (its `$ke$1$` values are read under it). */
function origin(req: Request): KeyOrigin {
  const value = field(req, 'origin');
  if (value === undefined || value === '' || value === 'keygate') return 'keygate';
  if (value === 'kong') return 'kong';
  throw badParam("'origin' must be 'kong' (a key from a Kong database) or 'keygate' (default)");
}

/** 32 bytes of key material in base64 (padding optional, nothing else accepted). */
function material(data: string): Buffer {
  const raw = Buffer.from(data, 'base64');
  if (raw.length !== 32 || raw.toString('base64').replace(/=+$/, '') !== data.replace(/=+$/, '')) throw badParam('key must be 32 bytes');
  return raw;
}

/**
 * Kong's `/keyring` endpoints. Where Kong answers a client mistake with a 500, these answer what
 * it is (404 unknown key, 409 active key, 400 missing parameter or setting); see docs/keyring.md.
 * Parameters are parsed here; the keyring gets typed values. Whether the keyring is on with the
 * endpoint's strategy is checked first, so a disabled keyring says so whatever was sent.
 */
export function keyringRoutes(router: Router, keyring: KeyringService): void {
  route(router, '/keyring', { get: async (_req, res) => void res.json(await keyring.view()) });
  route(router, '/keyring/active', { get: (_req, res) => void res.json({ id: keyring.activeId() }) });
  route(router, '/keyring/generate', {
    post: async (_req, res) => {
      const key = await keyring.generate();
      // Kong returns the key material here so the operator can keep a copy; it is never logged.
      res.status(201).json({ id: key.id, key: key.key.reveal().toString('base64') });
    },
  });
  route(router, '/keyring/activate', {
    post: async (req, res) => {
      keyring.requireStrategy('cluster');
      await keyring.activate(required(req, 'key', "missing 'key' param (the key id)"));
      res.status(204).end();
    },
  });
  route(router, '/keyring/remove', {
    post: async (req, res) => {
      keyring.requireStrategy('cluster');
      await keyring.remove(required(req, 'key', "missing 'key' param (the key id)"), field(req, 'force') === true || field(req, 'force') === 'true');
      res.status(204).end();
    },
  });
  route(router, '/keyring/reencrypt', {
    get: async (req, res) => void res.json(await keyring.reencryptView(typeof req.query.run === 'string' ? req.query.run : undefined)),
    post: async (_req, res) => void res.status(202).json(await keyring.requestReencrypt()),
  });
  route(router, '/keyring/export', { post: (_req, res) => void res.json({ data: keyring.exportBlob() }) });
  route(router, '/keyring/import', {
    post: async (req, res) => {
      keyring.requireStrategy('cluster');
      res.json(await keyring.import(required(req, 'data', "missing 'data' param")));
    },
  });
  route(router, '/keyring/import/raw', {
    post: async (req, res) => {
      keyring.requireStrategy('cluster');
      const message = "missing 'id' or 'data' params";
      const id = required(req, 'id', message);
      await keyring.importRaw(id, material(required(req, 'data', message)), origin(req));
      res.status(201).end();
    },
  });
  route(router, '/keyring/recover', {
    post: async (req, res) => {
      const acceptUnauthenticated = flag(req, 'accept_unauthenticated', "'accept_unauthenticated' must be true or false");
      keyring.requireStrategy('cluster');
      const pem = field(req, 'recovery_private_key');
      if (typeof pem !== 'string' || pem.trim() === '') throw badParam("missing 'recovery_private_key' param");
      res.json(await keyring.recover(pem, acceptUnauthenticated));
    },
  });
  route(router, '/keyring/vault/sync', {
    post: async (req, res) => {
      keyring.requireStrategy('vault');
      const token = field(req, 'token');
      if (token !== undefined && (typeof token !== 'string' || token === '')) throw badParam("'token' must be a non-empty string");
      await keyring.vaultSync(token);
      res.status(204).end();
    },
  });
}
