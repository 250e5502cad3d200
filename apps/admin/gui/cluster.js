// Keygate cluster page: a snapshot, then server-sent events from this listener. No framework,
// no network access beyond this origin. Everything shown is ids and counts (textContent only).
'use strict';

let state = { nodes: [], keyring: { active: null }, reencrypt: null };

const $ = (id) => document.getElementById(id);

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
}

function renderNodes() {
  const active = state.keyring.active;
  const body = document.querySelector('#nodes tbody');
  body.replaceChildren();
  let converged = 0;
  for (const node of state.nodes) {
    const ready = node.admitted && active !== null && node.active === active;
    if (ready) converged++;
    const row = document.createElement('tr');
    row.dataset.nodeId = node.node_id;
    row.dataset.activeKey = node.active || '';
    row.className = [ready ? 'converged' : 'behind', node.admitted ? '' : 'unverified'].join(' ').trim();
    cell(row, node.app);
    cell(row, node.hostname);
    cell(row, node.version || '–');
    cell(row, duration(node.uptime_seconds));
    cell(row, ready ? 'yes' : node.admitted ? 'waiting for key' : 'not admitted');
    cell(row, node.active || '–', 'key');
    cell(row, String(node.key_ids.length));
    cell(row, node.source === 'row' ? 'row (unverified)' : node.source);
    cell(row, node.node_id.slice(0, 8));
    body.appendChild(row);
  }
  $('active').textContent = active || 'none';
  $('convergence').textContent = `${converged} of ${state.nodes.length} nodes on it`;
}

function renderProgress() {
  const run = state.reencrypt;
  const bar = $('progress');
  if (!run) {
    $('progress-text').textContent = 'No re-encryption has run yet.';
    return;
  }
  bar.setAttribute('aria-valuenow', String(run.percent));
  bar.dataset.state = run.state;
  $('progress-fill').style.width = `${run.percent}%`;
  const rate = run.rows_per_second === null ? '–' : `${run.rows_per_second} rows/s`;
  const left = run.seconds_left === null ? '–' : duration(run.seconds_left);
  const errors = run.errors_total > 0 ? ` · ${run.errors_total} rows failed` : '';
  $('progress-text').textContent = `${run.percent} % · ${run.scanned} of ${run.total} rows to key ${run.target_key_id} · ${rate} · time left ${left} · ${run.state}${errors}`;
}

function render() {
  renderNodes();
  renderProgress();
}

function connect() {
  const events = new EventSource('/api/events');
  events.addEventListener('open', () => {
    $('live').textContent = 'live';
    $('live').className = 'badge on';
  });
  events.addEventListener('error', () => {
    $('live').textContent = 'reconnecting…';
    $('live').className = 'badge off';
  });
  events.addEventListener('snapshot', (e) => {
    state = JSON.parse(e.data);
    render();
  });
  // A member's signed report: it applied a change (e.g. the new active key).
  events.addEventListener('member', (e) => {
    const report = JSON.parse(e.data);
    const node = state.nodes.find((n) => n.node_id === report.node_id);
    if (!node) return;
    node.active = report.active;
    node.key_ids = report.key_ids;
    node.source = report.source;
    renderNodes();
  });
}

connect();
