import type { Request, Router } from 'express';
import { notify } from '@keygate/bus';
import type { Database } from '@keygate/db';
import {
  ENTITY_CHANGES,
  healthchecksOn,
  parseTarget,
  formatTarget,
  readUpstreamHealth,
  setTargetHealth,
  TARGET_HEALTH_ENTITY,
  type Entity,
  type EntityStore,
  type Healthchecks,
  type NodeHealth,
  type Scope,
} from '@keygate/entities';
import { HttpError, pageBody } from '@keygate/http';
import { param, route } from './route';

export interface UpstreamRoutesDeps {
  readonly db: Database;
  readonly store: EntityStore;
  /** This node's id: Kong's `node_id` in health answers. */
  readonly nodeId: string;
}

type Health = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR';

/**
 * Kong's upstream endpoints beyond the generic CRUD (registered before it, so `targets/all`
 * is not taken for a target): `/upstreams/{u}/health`, `/upstreams/{u}/targets/all`,
 * `/upstreams/{u}/targets/{t}/healthy|unhealthy`, and the top-level `/targets` Kong does not
 * serve. Health comes from what proxy nodes publish (`upstream_health`); the admin node
 * balances no traffic.
 */
export function upstreamRoutes(router: Router, deps: UpstreamRoutesDeps): void {
  const upstreams = deps.store.dao('upstreams');
  const targets = deps.store.dao('targets');
  const upstreamOf = async (req: Request): Promise<Entity> => {
    const found = await upstreams.select(param(req, 'upstream'));
    if (!found) throw HttpError.notFound();
    return found;
  };
  const scopeOf = (upstream: Entity): Scope => ({ field: 'upstream', id: upstream.id });

  route(router, '/upstreams/:upstream/targets/all', {
    get: async (req, res) => {
      const upstream = await upstreamOf(req);
      res.json(pageBody(await targets.page({ ...req.query, scope: scopeOf(upstream) }), `/upstreams/${param(req, 'upstream')}/targets/all`, req.query));
    },
  });

  for (const [suffix, healthy] of [['healthy', true], ['unhealthy', false]] as const) {
    const set = async (req: Request, address?: string) => {
      const upstream = await upstreamOf(req);
      const target = await targets.select(param(req, 'target'), scopeOf(upstream));
      if (!target) throw HttpError.notFound();
      const parsed = parseTarget(address ?? String(target.target));
      if (!parsed) throw HttpError.badRequest('invalid address');
      await deps.db.transaction(async (tx) => {
        await setTargetHealth(tx, upstream.id, formatTarget(parsed.host, parsed.port), healthy);
        await notify(tx, ENTITY_CHANGES, { entity: TARGET_HEALTH_ENTITY, op: 'update', id: upstream.id });
      });
    };
    route(router, `/upstreams/:upstream/targets/:target/${suffix}`, {
      put: async (req, res) => {
        await set(req);
        res.status(204).end();
      },
    });
    route(router, `/upstreams/:upstream/targets/:target/:address/${suffix}`, {
      put: async (req, res) => {
        await set(req, param(req, 'address'));
        res.status(204).end();
      },
    });
  }

  route(router, '/upstreams/:upstream/health', {
    get: async (req, res) => {
      const upstream = await upstreamOf(req);
      const nodes = await readUpstreamHealth(deps.db, upstream.id);
      const checks = healthchecksOn(upstream.healthchecks as Healthchecks);
      const on = checks.active || checks.passive;
      if (req.query.balancer_health === '1' || req.query.balancer_health === 'true') {
        const page = await targets.page({ size: '1000', scope: scopeOf(upstream) });
        const states = page.data.map((t) => targetHealth(t, nodes, on).health);
        const healthy = states.some((s) => s === 'HEALTHY' || s === 'HEALTHCHECKS_OFF');
        res.json({
          data: { health: on ? (healthy ? 'HEALTHY' : 'UNHEALTHY') : 'HEALTHCHECKS_OFF', balancer_health: healthy ? 'HEALTHY' : 'UNHEALTHY', id: upstream.id },
          next: null,
          node_id: deps.nodeId,
        });
        return;
      }
      const page = await targets.page({ ...req.query, scope: scopeOf(upstream) });
      const body = pageBody({ ...page, data: page.data.map((t) => ({ ...t, ...targetHealth(t, nodes, on) })) }, `/upstreams/${param(req, 'upstream')}/health`, req.query);
      res.json({ ...body, node_id: deps.nodeId });
    },
  });

  // Kong serves targets only under their upstream.
  for (const path of ['/targets', '/targets/:id', '/targets/:id/upstream', '/snis/:id/certificate']) {
    router.all(path, (_req, _res, next) => next(HttpError.notFound()));
  }
}

/**
 * A target's health as Kong reports it, from the proxies' snapshots: no fresh snapshot names it
 * -> DNS_ERROR (no balancer holds it); checks off or weight 0 -> HEALTHCHECKS_OFF; else HEALTHY
 * when at least one proxy sends it traffic, UNHEALTHY when none does.
 */
function targetHealth(target: Entity, nodes: readonly NodeHealth[], on: boolean): { health: Health; data: Record<string, unknown> } {
  const parsed = parseTarget(String(target.target));
  const address = parsed ? formatTarget(parsed.host, parsed.port) : String(target.target);
  const weight = Number(target.weight);
  const seen = nodes.map((n) => n.snapshot.addresses[address]).filter((a): a is { healthy: boolean } => a !== undefined);
  let health: Health;
  if (weight > 0 && seen.length === 0) health = 'DNS_ERROR';
  else if (!on || weight === 0) health = 'HEALTHCHECKS_OFF';
  else health = seen.some((a) => a.healthy) ? 'HEALTHY' : 'UNHEALTHY';
  const available = health === 'UNHEALTHY' ? 0 : weight;
  return {
    health,
    data: {
      host: parsed?.host ?? address,
      port: parsed?.port ?? null,
      dns: 'A',
      nodeWeight: weight,
      weight: { total: weight, available, unavailable: weight - available },
      addresses: parsed ? [{ ip: parsed.host, port: parsed.port, weight, health: health === 'DNS_ERROR' ? 'HEALTHCHECKS_OFF' : health }] : [],
      // Keygate: what each proxy node reported (the admin node balances no traffic).
      nodes: nodes.map((n) => ({ node_id: n.node_id, healthy: n.snapshot.addresses[address]?.healthy ?? null, updated_at: Math.floor(n.updated_at / 1000) })),
    },
  };
}
