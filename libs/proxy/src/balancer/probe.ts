import { connect } from 'node:net';
import { Agent, request } from 'undici';
import type { TargetData, UpstreamData } from '../state/types';
import type { Outcome } from './health';

/**
 * One active health check of a target, as Kong's `healthchecks.active` says: an HTTP(S) GET of
 * `http_path` (status counted against the lists), or a TCP connect; `timeout` seconds at most.
 */
export async function probe(upstream: UpstreamData, target: TargetData): Promise<Outcome> {
  const active = upstream.healthchecks.active;
  const timeoutMs = Math.max(1, Math.round(active.timeout * 1000));
  if (active.type === 'tcp') return tcpProbe(target, timeoutMs);
  const https = active.type === 'https' || active.type === 'grpcs';
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  const headers: Record<string, string> = { host: upstream.host_header ?? (target.port === (https ? 443 : 80) ? target.host : `${host}:${target.port}`) };
  for (const [name, values] of Object.entries(active.headers ?? {})) headers[name.toLowerCase()] = values.join(', ');
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(`${https ? 'https' : 'http'}://${host}:${target.port}${active.http_path}`, {
      method: 'GET',
      headers,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      reset: true,
      ...(https ? { dispatcher: https && !active.https_verify_certificate ? unverified() : verified(active.https_sni) } : {}),
    });
    await res.body.dump();
    return { kind: 'status', status: res.statusCode };
  } catch (err) {
    const code = String((err as { code?: unknown }).code ?? (err as Error).name);
    return signal.aborted || /TIMEOUT|AbortError|TimeoutError/.test(code) ? { kind: 'timeout' } : { kind: 'tcp_failure' };
  }
}

function tcpProbe(target: TargetData, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: target.host, port: target.port });
    const done = (outcome: Outcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done({ kind: 'timeout' }));
    socket.once('connect', () => done({ kind: 'connected' }));
    socket.once('error', () => done({ kind: 'tcp_failure' }));
  });
}

let insecure: Agent | undefined;
const bySni = new Map<string, Agent>();

/** `https_verify_certificate = false`: one agent that does not verify. */
function unverified(): Agent {
  return (insecure ??= new Agent({ connect: { rejectUnauthorized: false } }));
}

function verified(sni: string | null | undefined): Agent {
  const key = sni ?? '';
  let agent = bySni.get(key);
  if (!agent) bySni.set(key, (agent = new Agent({ connect: sni ? { servername: sni } : {} })));
  return agent;
}
