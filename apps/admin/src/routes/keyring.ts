import type { Request, Router } from 'express';
import type { KeyringService } from '@keygate/keyring';
import { route } from './route';

const field = (req: Request, name: string): unknown => (req.body as Record<string, unknown>)[name];

/**
 * Kong's `/keyring` endpoints. Where Kong answers a client mistake with a 500, these answer what
 * it is (404 unknown key, 409 active key, 400 missing parameter or setting); see docs/keyring.md.
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
      await keyring.activate(field(req, 'key'));
      res.status(204).end();
    },
  });
  route(router, '/keyring/remove', {
    post: async (req, res) => {
      await keyring.remove(field(req, 'key'), field(req, 'force'));
      res.status(204).end();
    },
  });
  route(router, '/keyring/reencrypt', {
    get: async (req, res) => void res.json(await keyring.reencryptView(typeof req.query.run === 'string' ? req.query.run : undefined)),
    post: async (_req, res) => void res.status(202).json(await keyring.requestReencrypt()),
  });
  route(router, '/keyring/export', { post: (_req, res) => void res.json({ data: keyring.exportBlob() }) });
  route(router, '/keyring/import', { post: async (req, res) => void res.json(await keyring.import(field(req, 'data'))) });
  route(router, '/keyring/import/raw', {
    post: async (req, res) => {
      await keyring.importRaw(field(req, 'id'), field(req, 'data'), field(req, 'origin'));
      res.status(201).end();
    },
  });
  route(router, '/keyring/recover', { post: async (req, res) => void res.json(await keyring.recover(field(req, 'recovery_private_key'), field(req, 'accept_unauthenticated'))) });
  route(router, '/keyring/vault/sync', {
    post: async (req, res) => {
      await keyring.vaultSync(field(req, 'token'));
      res.status(204).end();
    },
  });
}
