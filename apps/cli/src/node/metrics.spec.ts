import { Counter, Histogram, Registry } from 'prom-client';
import { createNodeInfo, createNodeRegistry } from '@keygate/runtime';
import { mergeRoleMetrics } from './metrics';

/** A role's registry as the roles make theirs: the node's (process metrics, node info) plus its own. */
function roleRegistry(app: 'admin' | 'proxy'): Registry {
  const registry = createNodeRegistry(createNodeInfo(app));
  new Counter({ name: 'demo_requests_total', help: 'Requests.', labelNames: ['code'], registers: [registry] }).inc({ code: '200' }, 3);
  if (app === 'proxy') new Histogram({ name: 'demo_latency_ms', help: 'Latency.', buckets: [1, 10], registers: [registry] }).observe(5);
  return registry;
}

describe("the all-in-one node's /metrics", () => {
  it('has each family once, with one HELP and TYPE, and every sample of every role labelled with it', async () => {
    const text = mergeRoleMetrics([
      { role: 'admin', text: await roleRegistry('admin').metrics() },
      { role: 'proxy', text: await roleRegistry('proxy').metrics() },
    ]);
    const lines = text.trimEnd().split('\n');
    const types = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    const helps = lines.filter((l) => l.startsWith('# HELP ')).map((l) => l.split(' ')[2]);
    expect(new Set(types).size).toBe(types.length);
    expect(helps).toEqual(types);
    expect(types).toEqual(expect.arrayContaining(['demo_requests_total', 'demo_latency_ms', 'keygate_node_info', 'process_cpu_user_seconds_total']));

    // Each family's samples follow its TYPE line, from both roles.
    const block = (name: string) => {
      const start = lines.indexOf(lines.find((l) => l.startsWith(`# TYPE ${name} `))!);
      const end = lines.findIndex((l, i) => i > start && l.startsWith('# HELP '));
      return lines.slice(start + 1, end === -1 ? undefined : end);
    };
    expect(block('demo_requests_total')).toEqual(['demo_requests_total{role="admin",code="200"} 3', 'demo_requests_total{role="proxy",code="200"} 3']);
    expect(block('demo_latency_ms')).toEqual([
      'demo_latency_ms_bucket{role="proxy",le="1"} 0',
      'demo_latency_ms_bucket{role="proxy",le="10"} 1',
      'demo_latency_ms_bucket{role="proxy",le="+Inf"} 1',
      'demo_latency_ms_sum{role="proxy"} 5',
      'demo_latency_ms_count{role="proxy"} 1',
    ]);
    expect(block('keygate_node_start_time_seconds').map((l) => /^\w+\{role="(\w+)"\} \S+$/.exec(l)?.[1])).toEqual(['admin', 'proxy']);
    for (const line of lines.filter((l) => !l.startsWith('#'))) expect(line).toMatch(/^[a-zA-Z_:][\w:]*\{role="(admin|proxy)"[,}]/);
  });

  it('is empty when no role answered', () => {
    expect(mergeRoleMetrics([])).toBe('');
  });
});
