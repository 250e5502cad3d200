// Keygate cluster page: a snapshot, then server-sent events from this listener. No framework,
// no network access beyond this origin. Everything shown is ids and counts (textContent only).
'use strict';

let state = { nodes: [], keyring: { active: null }, reencrypt: null, vaults: null };
let events = null;

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

function time(ms) {
  if (ms === null || ms === undefined) return '–';
  const seconds = Math.round((ms - Date.now()) / 1000);
  const clock = new Date(ms).toLocaleTimeString();
  return seconds >= 0 ? `${clock} (in ${duration(seconds)})` : `${clock} (${duration(-seconds)} ago)`;
}

function renderVaults() {
  const view = state.vaults;
  const status = $('vaults-status');
  const body = document.querySelector('#vaults tbody');
  body.replaceChildren();
  if (!view) return;
  status.dataset.status = view.status;
  if (view.status !== 'ok') {
    status.className = 'note down';
    status.textContent = `No vault-resolver: ${view.message}`;
    return;
  }
  const failing = view.references.filter((r) => r.failing).length;
  status.className = 'note';
  status.textContent = `vault-resolver ${view.url}: ${view.references.length} references in use, ${failing} failing · checked ${new Date(view.checked_at).toLocaleTimeString()}`;
  for (const ref of view.references) {
    // failing: the last lookup got no value; stale: served past its TTL, or its last refresh failed.
    const health = ref.failing ? 'failing' : ref.stale || ref.last_error ? 'stale' : 'healthy';
    const row = document.createElement('tr');
    row.className = health;
    row.dataset.reference = ref.reference;
    row.dataset.health = health;
    cell(row, ref.reference);
    cell(row, ref.vault_prefix ? `${ref.backend} (${ref.vault_prefix})` : ref.backend || '–');
    cell(row, health === 'failing' ? 'failing' : ref.stale ? 'serving stale' : health === 'stale' ? 'refresh failed' : 'ok', 'state');
    cell(row, ref.cached ? 'yes' : 'no');
    cell(row, time(ref.refreshed_at));
    cell(row, ref.cached && ref.expires_at === null ? 'never (ttl 0)' : time(ref.expires_at));
    cell(row, String(ref.stale_served));
    cell(row, ref.last_error ? `${ref.last_error.code}: ${ref.last_error.message}` : '–', 'error');
    body.appendChild(row);
  }
}

function render() {
  renderNodes();
  renderProgress();
  renderVaults();
}

function showLogin(message) {
  if (events) events.close();
  events = null;
  $('cluster').hidden = true;
  $('login').hidden = false;
  $('sign-out').hidden = true;
  $('user').textContent = '';
  $('live').textContent = 'signed out';
  $('live').className = 'badge off';
  $('login-error').textContent = message || '';
}

/** Loads the snapshot; without access shows the sign-in form (enforce_rbac = on). */
async function start() {
  const res = await fetch('/api/cluster', { credentials: 'same-origin' });
  if (res.status === 401 || res.status === 403) {
    const body = await res.json().catch(() => ({}));
    return showLogin(res.status === 403 ? body.message : '');
  }
  if (!res.ok) throw new Error(`cluster page: ${res.status}`);
  state = await res.json();
  $('login').hidden = true;
  $('cluster').hidden = false;
  $('user').textContent = state.user ? `signed in as ${state.user}` : '';
  $('sign-out').hidden = !state.user;
  render();
  connect();
}

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const token = $('token').value;
  $('token').value = '';
  const res = await fetch('/api/session', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  if (res.status === 204) return start();
  const body = await res.json().catch(() => ({}));
  $('login-error').textContent = body.message || `sign-in failed (${res.status})`;
});

$('sign-out').addEventListener('click', async () => {
  await fetch('/api/session', { method: 'DELETE', credentials: 'same-origin' });
  showLogin('');
});

function connect() {
  if (events) events.close();
  events = new EventSource('/api/events');
  events.addEventListener('open', () => {
    $('live').textContent = 'live';
    $('live').className = 'badge on';
  });
  events.addEventListener('error', () => {
    $('live').textContent = 'reconnecting…';
    $('live').className = 'badge off';
    // EventSource hides the status: ask whether access ended (sign-in) or the node is away.
    void fetch('/api/cluster', { credentials: 'same-origin' }).then((res) => {
      if (res.status === 401 || res.status === 403) showLogin('Your session ended; sign in again.');
    }, () => undefined);
  });
  events.addEventListener('signed-out', (e) => showLogin(JSON.parse(e.data).message));
  events.addEventListener('vaults', (e) => {
    state.vaults = JSON.parse(e.data);
    renderVaults();
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

void start();
