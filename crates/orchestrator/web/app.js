// Manga Studio: the page served by the orchestrator. Write or upload a story,
// start a job, watch its eight phases live, review and steer each one,
// browse versions, read the result and download it. Talks only to the API
// of docs/api.md on the same origin; nothing is fetched from elsewhere.

import { api, loadToken, setToken, getToken, onUnauthorized, withToken, wsUrl, artifactPath, keyPath } from './api.js';
import { h, icon, badge, clear, showError, PHASES, STATE_LABELS, SHORT_STATE_LABELS, phaseNumber, formatMs, relativeTime, clockTime, plural, langOf } from './dom.js';
import { renderPhase, rendersWhileRunning, updateTile, placeholder } from './phases.js';
import { initReader, openReader, readerOpen } from './reader.js';

const $ = (id) => document.getElementById(id);
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const EVENT_KINDS = [
  'snapshot', 'phase_started', 'phase_progress', 'phase_finished', 'phase_retrying', 'awaiting_review',
  'job_finished', 'job_failed', 'job_cancelled', 'version_created', 'version_restored', 'feedback', 'chat', 'review_timeout',
  'phase_resent', 'error',
];
/** Events after which the job view is fetched again (the store is the truth, events are hints). */
const REFETCH_ON = new Set([
  'phase_started', 'phase_finished', 'phase_retrying', 'awaiting_review', 'job_finished', 'job_failed', 'job_cancelled',
  'version_created', 'version_restored', 'review_timeout', 'feedback', 'phase_resent',
]);

const state = {
  jobs: [],
  job: null,
  selected: null, // the phase shown
  follow: true, // the shown phase follows the job's progress
  details: new Map(), // `${job}:${version}:${n}` -> {stamp, detail}
  live: {}, // phase -> {done, total, message, drawn: Map(panel -> version)}
  activity: [],
  conn: null,
  versions: null,
  uploaded: null, // {name, text} of a .txt upload still unchanged in the textarea
  busy: false, // a change is being sent
  renderToken: 0,
};

// ---------------------------------------------------------------- start

document.addEventListener('DOMContentLoaded', start);

function start() {
  initReader();
  wireForm();
  wireJobView();
  onUnauthorized((e) => showAuth(`The server refused the token: ${e.message}. \`manga serve\` makes a new key each time it starts unless SECRET_KEY is set — open the link it printed this time.`));
  window.addEventListener('hashchange', () => {
    if (new URLSearchParams(location.hash.slice(1)).has('token')) {
      loadToken();
      boot();
    }
  });
  setInterval(tickTimes, 30000);
  boot();
}

async function boot() {
  loadToken();
  if (!getToken()) {
    showAuth(null);
    return;
  }
  $('auth-panel').hidden = true;
  $('sign-out').hidden = false;
  document.body.classList.add('signed-in');
  await loadJobs();
  const wanted = new URLSearchParams(location.hash.slice(1)).get('job');
  if (wanted && state.jobs.some((j) => j.id === wanted)) selectJob(wanted);
  else if (!state.job) showEmpty();
}

function showAuth(message) {
  disconnect();
  document.body.classList.remove('signed-in');
  $('auth-panel').hidden = false;
  $('empty-state').hidden = true;
  $('job-view').hidden = true;
  $('sign-out').hidden = !getToken();
  showError($('auth-error'), message);
  setLive('off');
}

function showEmpty() {
  $('empty-state').hidden = false;
  $('job-view').hidden = true;
  document.body.classList.remove('has-job');
}

// ---------------------------------------------------------------- new story

function wireForm() {
  const text = $('story-text');
  const count = () => {
    const n = [...text.value].length;
    $('story-count').textContent = `${n.toLocaleString()} character${n === 1 ? '' : 's'}`;
    text.lang = langOf(text.value, '') || '';
  };
  text.addEventListener('input', () => {
    count();
    if (state.uploaded && text.value !== state.uploaded.text) {
      state.uploaded = null;
      $('story-file-name').textContent = '';
    }
  });
  count();

  $('story-file').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    showError($('create-error'), null);
    if (file.size > 2 * 1024 * 1024) {
      showError($('create-error'), `${file.name} is larger than 2 MiB; the server accepts stories up to 200,000 characters.`);
      return;
    }
    const content = await file.text();
    text.value = content;
    state.uploaded = { name: file.name, text: content };
    $('story-file-name').textContent = file.name;
    if (!$('story-title').value) $('story-title').placeholder = file.name.replace(/\.txt$/i, '');
    count();
    e.target.value = '';
  });

  $('story-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const story = text.value.trim();
    showError($('create-error'), null);
    if (!story) {
      showError($('create-error'), 'Write or upload a story first.');
      text.focus();
      return;
    }
    const options = { mode: $('mode-select').value };
    const title = $('story-title').value.trim();
    if (title) options.title = title;
    const pages = $('pages-input').value.trim();
    if (pages) options.pages = Number(pages);
    if ($('language-select').value !== 'auto') options.language = $('language-select').value;
    if ($('direction-select').value !== 'auto') options.direction = $('direction-select').value;
    const seed = $('seed-input').value.trim();
    if (seed) options.seed = Number(seed);
    const button = $('start-button');
    button.disabled = true;
    button.classList.add('loading');
    try {
      let job;
      if (state.uploaded && state.uploaded.text === text.value) {
        // A .txt upload goes as text/plain with the options in the query.
        const query = new URLSearchParams(Object.entries(options).map(([k, v]) => [k, String(v)]));
        job = await api(`/v1/jobs?${query}`, { method: 'POST', body: new Blob([text.value], { type: 'text/plain; charset=utf-8' }), headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
      } else {
        job = await api('/v1/jobs', { method: 'POST', body: { story, ...options } });
      }
      toast(job.title || title ? `Started “${job.title || title}”` : 'Started · reading the story', 'spark');
      await loadJobs();
      if (!state.jobs.some((j) => j.id === job.id)) state.jobs.unshift(job), renderJobList();
      closeNav();
      $('new-story').open = false;
      selectJob(job.id, job);
    } catch (err) {
      showError($('create-error'), err);
    } finally {
      button.disabled = false;
      button.classList.remove('loading');
    }
  });

  $('jobs-refresh').addEventListener('click', loadJobs);
  $('empty-start').addEventListener('click', () => {
    openNav();
    $('new-story').open = true;
    $('story-text').focus();
  });
  $('nav-toggle').addEventListener('click', () => (document.body.classList.contains('nav-open') ? closeNav() : openNav()));
  $('scrim').addEventListener('click', closeNav);
  $('sign-out').addEventListener('click', () => {
    setToken(null);
    state.job = null;
    showAuth(null);
  });
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('token-input').value.trim();
    if (!value) return;
    setToken(value);
    $('token-input').value = '';
    boot();
  });
}

function openNav() {
  document.body.classList.add('nav-open');
  $('nav-toggle').setAttribute('aria-expanded', 'true');
  $('scrim').hidden = false;
}

function closeNav() {
  document.body.classList.remove('nav-open');
  $('nav-toggle').setAttribute('aria-expanded', 'false');
  $('scrim').hidden = true;
}

// ---------------------------------------------------------------- job list

async function loadJobs() {
  try {
    const { jobs } = await api('/v1/jobs');
    state.jobs = jobs;
    showError($('jobs-error'), null);
  } catch (e) {
    if (e.status !== 401) showError($('jobs-error'), e);
  }
  renderJobList();
}

function renderJobList() {
  const list = clear($('job-list'));
  $('jobs-empty').hidden = state.jobs.length > 0;
  for (const job of state.jobs) {
    const done = job.phases.filter((p) => p.state === 'approved').length;
    const current = state.job && state.job.id === job.id;
    list.append(h('li', {},
      h('button', {
        type: 'button', class: 'job-item', 'data-testid': 'job-item', 'data-job-id': job.id, 'data-state': job.state,
        'aria-current': current ? 'true' : null, onclick: () => { closeNav(); selectJob(job.id); },
      },
      h('span', { class: 'job-item-title', lang: langOf(job.title) }, job.title || 'Untitled'),
      h('span', { class: 'job-item-meta' },
        h('span', { class: 'state-dot', 'data-state': job.state, 'aria-hidden': 'true' }),
        h('span', {}, STATE_LABELS[job.state] || job.state),
        h('span', { class: 'sep' }, '·'), h('span', {}, `v${job.version}`),
        h('span', { class: 'sep' }, '·'), h('time', { datetime: job.updated_at, 'data-relative': job.updated_at }, relativeTime(job.updated_at))),
      h('span', { class: 'mini-progress', 'aria-hidden': 'true' }, h('span', { style: { width: `${(100 * done) / 8}%` } })))));
  }
}

function tickTimes() {
  for (const t of document.querySelectorAll('[data-relative]')) t.textContent = relativeTime(t.dataset.relative);
}

// ---------------------------------------------------------------- one job

async function selectJob(id, view = null) {
  const changed = !state.job || state.job.id !== id;
  if (changed) {
    state.details.clear();
    state.live = {};
    state.activity = [];
    state.versions = null;
    state.selected = null;
    state.follow = true;
    clear($('chat-log'));
    showError($('chat-error'), null);
    showError($('versions-error'), null);
  }
  $('empty-state').hidden = true;
  $('auth-panel').hidden = true;
  $('job-view').hidden = false;
  // The job takes the stage: fold the story form so the list of jobs shows (unless it is in use).
  if (changed && !$('new-story').contains(document.activeElement)) $('new-story').open = false;
  document.body.classList.add('has-job');
  const params = new URLSearchParams(location.hash.slice(1));
  params.set('job', id);
  history.replaceState(null, '', `#${params}`);
  try {
    applyJob(view || (await api(`/v1/jobs/${id}`)));
  } catch (e) {
    showError($('job-error'), e);
    return;
  }
  if (changed) {
    renderActivity();
    connect(id);
    loadVersions();
    $('main').focus({ preventScroll: true });
  }
}

/** Takes a fresh JobView: updates the list, header, timeline and the shown phase. */
function applyJob(job) {
  if (!job || !job.id) return;
  const previous = state.job && state.job.id === job.id ? state.job : null;
  state.job = job;
  const i = state.jobs.findIndex((j) => j.id === job.id);
  if (i >= 0) state.jobs[i] = job;
  else state.jobs.unshift(job);
  renderJobList();
  if (state.follow || state.selected === null) state.selected = focusPhase(job);
  renderHeader();
  renderTimeline();
  showError($('job-error'), job.state === 'failed' ? `The job failed: ${job.error || 'no reason given'}` : null);
  renderPhasePanel();
  if (previous && previous.version !== job.version) loadVersions();
  else if (state.versions && (!previous || previous.state !== job.state)) renderVersions();
  if (previous && previous.state !== job.state && job.state === 'succeeded') {
    toast('Your manga is ready to read', 'book', { label: 'Read', action: () => startReader(0) });
  }
}

/** The phase worth showing: the one waiting for review, else the one running, else the last. */
function focusPhase(job) {
  const waiting = job.phases.find((p) => p.state === 'awaiting_review');
  if (waiting) return waiting.phase;
  const running = job.phases.find((p) => p.state === 'running' || p.state === 'retrying');
  if (running) return running.phase;
  if (job.state === 'succeeded') return 8;
  return job.current_phase || 1;
}

function renderHeader() {
  const job = state.job;
  const title = $('job-title');
  title.textContent = job.title || 'Untitled';
  title.lang = langOf(job.title) || 'en';
  const meta = clear($('job-meta'));
  meta.append(
    badge(job.state, { id: 'job-state', 'data-testid': 'job-state' }),
    h('span', { class: 'chip', id: 'job-version', 'data-testid': 'job-version', 'data-version': job.version }, icon('layers'), `Version ${job.version}`),
    h('span', { class: 'chip' }, job.mode === 'review' ? 'Review mode' : 'Auto mode'),
    h('span', { class: 'muted small' }, 'Started ', h('time', { datetime: job.created_at, 'data-relative': job.created_at }, relativeTime(job.created_at))),
  );
  const published = Boolean(job.links && job.links.pdf);
  $('open-reader').disabled = !published;
  setLink($('download-pdf'), published ? withToken(job.links.pdf) : null);
  setLink($('download-cbz'), published ? withToken(job.links.cbz) : null);
  const png = $('download-png');
  png.setAttribute('aria-disabled', String(!published));
  $('png-menu').classList.toggle('disabled', !published);
  if (!published) $('png-menu').open = false;
  $('cancel-job').hidden = TERMINAL.has(job.state);
}

function setLink(a, href) {
  if (href) {
    a.href = href;
    a.removeAttribute('aria-disabled');
    a.tabIndex = 0;
  } else {
    a.removeAttribute('href');
    a.setAttribute('aria-disabled', 'true');
    a.tabIndex = -1;
  }
}

function renderTimeline() {
  const job = state.job;
  const ol = $('timeline');
  const existing = ol.children.length === 8;
  job.phases.forEach((p, i) => {
    const meta = PHASES[i];
    const live = state.live[p.phase];
    const working = p.state === 'running' || p.state === 'retrying';
    const pct = working && live && live.total ? Math.round((100 * live.done) / live.total) : p.state === 'approved' || p.state === 'awaiting_review' ? 100 : 0;
    const stepState = p.state;
    const content = [
      h('span', { class: 'step-index', 'aria-hidden': 'true' }, stepState === 'approved' ? icon('check') : stepState === 'failed' ? icon('alert') : String(p.phase)),
      h('span', { class: 'step-text' },
        h('span', { class: 'step-name' }, meta.label),
        h('span', { class: 'step-ja', lang: 'ja' }, meta.ja)),
      badge(stepState, { class: 'badge step-badge' }, SHORT_STATE_LABELS[stepState]),
      h('span', { class: 'step-meta' },
        p.attempts > 1 ? h('span', { class: 'attempts', title: `${p.attempts} attempts` }, `×${p.attempts}`) : null,
        p.quality !== null && p.quality !== undefined ? h('span', { class: `q ${qualityClass(p.quality)}`, title: 'Quality score' }, `q ${Number(p.quality).toFixed(2)}`) : null),
      h('span', { class: `progress ${working && !(live && live.total) ? 'indeterminate' : ''}`, role: 'progressbar', 'aria-label': `${meta.label} progress`, 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct },
        h('span', { class: 'progress-fill', style: { width: `${pct}%` } })),
    ];
    const attrs = {
      type: 'button', class: 'step', 'data-testid': 'phase-step', 'data-phase': p.phase, 'data-state': stepState,
      'aria-current': state.selected === p.phase ? 'step' : null,
      'aria-label': `Phase ${p.phase}, ${meta.label}: ${STATE_LABELS[stepState] || stepState}`,
      title: [`${meta.label} · ${STATE_LABELS[stepState] || stepState}`, p.quality != null ? `quality ${Number(p.quality).toFixed(2)}` : null, p.attempts ? plural(p.attempts, 'attempt') : null, p.duration_ms ? formatMs(p.duration_ms) : null].filter(Boolean).join(' · '),
      onclick: () => selectPhase(p.phase),
    };
    const li = h('li', { class: 'step-wrap', 'data-state': stepState }, h('button', attrs, content));
    if (existing) ol.children[i].replaceWith(li);
    else ol.append(li);
  });
  const current = ol.querySelector('[aria-current="step"]');
  if (current && window.matchMedia('(max-width: 900px)').matches) current.scrollIntoView({ block: 'nearest', inline: 'center', behavior: 'smooth' });
}

function qualityClass(q) {
  return q >= 0.85 ? 'good' : q >= 0.7 ? 'fair' : 'poor';
}

function selectPhase(n) {
  state.selected = n;
  state.follow = n === focusPhase(state.job);
  renderTimeline();
  renderPhasePanel();
}

// ---------------------------------------------------------------- the shown phase

function detailKey(n, version = state.job.version) {
  return `${state.job.id}:${version}:${n}`;
}

function stampOf(p) {
  return `${p.state}:${p.attempts}:${p.quality}:${p.duration_ms}`;
}

async function phaseDetail(n, { force = false } = {}) {
  const job = state.job;
  const p = job.phases[n - 1];
  const key = detailKey(n);
  const cached = state.details.get(key);
  const stamp = stampOf(p);
  if (cached && !force && cached.stamp === stamp) return cached.detail;
  const detail = await api(`/v1/jobs/${job.id}/phases/${n}`);
  state.details.set(key, { stamp, detail });
  return detail;
}

/** The concept (for language and direction) and the storyboard (for panel layouts), when they exist. */
async function context() {
  const job = state.job;
  const has = (n) => job.phases[n - 1].attempts > 0 || ['approved', 'awaiting_review'].includes(job.phases[n - 1].state);
  const [concept, board] = await Promise.all([
    has(1) ? phaseDetail(1).then((d) => d.result).catch(() => null) : null,
    has(4) ? phaseDetail(4).then((d) => d.result).catch(() => null) : null,
  ]);
  return { concept, storyboard: board };
}

async function renderPhasePanel({ force = false } = {}) {
  const job = state.job;
  const n = state.selected;
  if (!job || !n) return;
  const panel = $('phase-panel');
  const p = job.phases[n - 1];
  const token = ++state.renderToken;
  panel.setAttribute('aria-busy', 'true');
  let detail = null, ctx = null, error = null;
  try {
    const needsDetail = p.attempts > 0 || p.state !== 'pending';
    [detail, ctx] = await Promise.all([needsDetail ? phaseDetail(n) : null, context()]);
  } catch (e) {
    error = e;
  }
  if (token !== state.renderToken) return; // a newer render started meanwhile
  panel.setAttribute('aria-busy', 'false');
  // Nothing changed since the last render: keep the DOM (and what is being typed).
  const stamp = `${job.id}:${job.version}:${job.state}:${n}:${state.busy}:${job.phases.map(stampOf).join('|')}:${Boolean(ctx?.storyboard)}:${Boolean(detail)}`;
  if (!force && !error && stamp === state.panelStamp && panel.dataset.phase === String(n)) return;
  state.panelStamp = error ? null : stamp;
  const draft = panel.querySelector('#revise-comment')?.value || '';
  const meta = PHASES[n - 1];
  const rctx = {
    ...(ctx || {}), jobId: job.id, version: job.version, live: state.live, busy: state.busy,
    rtl: (ctx?.concept?.reading_direction || '') === 'right_to_left',
    regenerate: (change) => planChange({ action: 'regenerate', phase: change.phase, target: change.target }, change),
    editText: (edit) => editChange(edit),
    openReader: (i) => startReader(i),
  };
  panel.dataset.phase = String(n);
  panel.dataset.state = p.state;
  const body = error ? null : renderPhase(n, detail, rctx);
  const running = p.state === 'running' || p.state === 'retrying';
  const live = state.live[n];
  const next = PHASES[n] ? PHASES[n].label : null;
  const reviewable = p.state === 'awaiting_review';
  const changeable = !reviewable && detail?.result && !running && !['running', 'pending', 'cancelled'].includes(job.state) && n < 8;

  const content = [
    h('header', { class: 'phase-head' },
      h('div', { class: 'phase-head-text' },
        h('p', { class: 'eyebrow' }, `Phase ${n} of 8 · `, h('span', { lang: 'ja' }, meta.ja)),
        h('h2', { id: 'phase-title' }, meta.label),
        h('p', { class: 'phase-desc muted' }, meta.makes)),
      h('div', { class: 'phase-stats' },
        badge(p.state, { 'data-testid': 'phase-state', id: 'phase-state' }),
        p.quality !== null && p.quality !== undefined ? qualityMeter(p.quality) : null,
        p.attempts ? h('span', { class: 'stat' }, plural(p.attempts, 'attempt')) : null,
        p.duration_ms ? h('span', { class: 'stat' }, icon('clock'), formatMs(p.duration_ms)) : null,
        usageStat(p.usage))),
    p.reasons && p.reasons.length
      ? h('ul', { class: 'reasons', 'aria-label': 'What the quality check noticed' }, p.reasons.map((r) => h('li', { lang: langOf(r) }, icon('alert'), r)))
      : null,
    p.error ? h('p', { class: 'error' }, p.error) : null,
    running ? liveBox(n, live, p.state) : null,
    error ? h('p', { class: 'error', role: 'alert' }, `This phase could not be loaded: ${error.message}`) : null,
    h('div', { class: 'phase-body', id: 'phase-body' }, body || (running && rendersWhileRunning(n, rctx) ? renderPhase(n, null, rctx) : placeholder(n, p.state, live))),
    reviewable ? reviewBar(n, detail, next) : null,
    changeable ? changeBox(n) : null,
  ];
  clear(panel).append(...content.filter(Boolean));
  const comment = panel.querySelector('#revise-comment');
  if (comment && draft && state.draftPhase === n) comment.value = draft;
  state.draftPhase = n;
}

// What a phase's model calls used: one stat, the detail per provider and model in its tooltip.
function usageStat(usage) {
  if (!usage || !usage.length) return null;
  const cost = usage.reduce((sum, u) => sum + (u.cost_usd || 0), 0);
  const calls = usage.reduce((sum, u) => sum + u.requests, 0);
  const detail = usage.map((u) => `${u.provider}/${u.model}: ${plural(u.requests, 'request')}, ${u.input_tokens}/${u.output_tokens} tokens, ${plural(u.images, 'image')}, ${u.cache_hits} cached, ${plural(u.retries, 'retry', 'retries')}`).join('\n');
  return h('span', { class: 'stat', 'data-testid': 'phase-cost', title: detail }, `${plural(calls, 'call')} · $${cost.toFixed(4)}`);
}

function qualityMeter(q) {
  const pct = Math.round(q * 100);
  return h('span', { class: `quality ${qualityClass(q)}`, title: `Quality ${q.toFixed(2)} — below 0.70 the phase is retried` },
    h('span', { class: 'quality-bar', 'aria-hidden': 'true' }, h('span', { style: { width: `${pct}%` } })),
    h('span', {}, `Quality ${q.toFixed(2)}`));
}

function liveBox(n, live, phaseState) {
  const pct = live && live.total ? Math.round((100 * live.done) / live.total) : null;
  return h('div', { class: 'live-box', 'data-testid': 'live-box' },
    h('div', { class: 'live-line' },
      h('span', { class: 'pulse', 'aria-hidden': 'true' }),
      h('span', { 'data-live-message': '' }, live?.message || (phaseState === 'retrying' ? 'Retrying after the quality check…' : 'Starting…')),
      h('span', { class: 'muted small', 'data-live-count': '' }, live && live.total ? `${live.done} / ${live.total}` : '')),
    h('span', { class: `progress big ${pct === null ? 'indeterminate' : ''}`, role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct ?? 0, 'aria-label': 'Progress' },
      h('span', { class: 'progress-fill', 'data-live-fill': '', style: { width: `${pct ?? 0}%` } })));
}

function reviewBar(n, detail, next) {
  const presets = detail?.presets || [];
  const approvePreset = presets.find((p) => p.action?.action === 'approve');
  const others = presets.filter((p) => p.action?.action !== 'approve');
  const paused = state.job.state === 'paused';
  const error = h('p', { class: 'error', id: 'review-error', 'data-testid': 'review-error', role: 'alert', hidden: true });
  const comment = h('textarea', { id: 'revise-comment', 'data-testid': 'revise-comment', rows: 1, placeholder: 'Or describe a change, e.g. “darker, please” / 「もっと明るく」' });
  const approve = h('button', {
    type: 'button', class: 'btn primary', id: 'approve-button', 'data-testid': 'approve-button', title: approvePreset?.label,
    onclick: (e) => sendFeedback({ phase: n, action: 'approve' }, e.currentTarget, error, 'Approved'),
  }, icon('check'), 'Approve', h('span', { class: 'approve-next' }, next ? ` · continue to ${next}` : ' · publish'));
  const toggle = h('button', {
    type: 'button', class: 'btn ghost small review-toggle', 'aria-controls': 'review-more', 'aria-expanded': 'false',
    onclick: (e) => {
      const bar = e.currentTarget.closest('.review-bar');
      bar.classList.toggle('expanded');
      e.currentTarget.setAttribute('aria-expanded', String(bar.classList.contains('expanded')));
    },
  }, 'Change…');
  const revise = h('form', {
    class: 'revise-form', onsubmit: (e) => {
      e.preventDefault();
      const text = comment.value.trim();
      if (!text) {
        showError(error, 'Say what should change first.');
        comment.focus();
        return;
      }
      sendFeedback({ phase: n, action: 'revise', comment: text }, e.submitter || e.currentTarget.querySelector('button'), error, 'Revision requested');
    },
  },
  h('label', { for: 'revise-comment', class: 'visually-hidden' }, 'Describe a change'),
  comment,
  h('button', { type: 'submit', class: 'btn', id: 'revise-button', 'data-testid': 'revise-button' }, icon('retry'), 'Revise'));
  return h('div', { class: 'review-bar', 'data-testid': 'review-bar', role: 'region', 'aria-label': 'Your review' },
    h('div', { class: 'review-top' },
      h('div', { class: 'review-head' },
        h('span', { class: 'review-dot', 'aria-hidden': 'true' }),
        h('div', {},
          h('strong', {}, h('span', { class: 'long' }, paused ? 'Paused — the review timed out' : 'Waiting for your review'), h('span', { class: 'short' }, paused ? 'Paused' : 'Review')),
          h('p', { class: 'muted small' }, paused ? 'Nothing runs until you decide.' : 'Approve, pick a quick fix, or describe a change.'))),
      toggle,
      approve),
    h('div', { class: 'review-more review-actions', id: 'review-more' },
      others.map((preset) => h('button', {
        type: 'button', class: 'btn preset', 'data-testid': 'preset', 'data-action': preset.action.action,
        onclick: (e) => sendFeedback({ phase: n, ...preset.action }, e.currentTarget, error, preset.label),
      }, preset.label)),
      revise),
    error);
}

/** On a phase that has run (job finished or waiting elsewhere): revise it, with its plan shown first. */
function changeBox(n) {
  const comment = h('textarea', { id: 'change-comment', 'data-testid': 'change-comment', rows: 2, placeholder: 'Describe what should change' });
  return h('details', { class: 'change-box' },
    h('summary', {}, icon('retry'), 'Request a change to this phase'),
    h('form', {
      class: 'revise-form', onsubmit: (e) => {
        e.preventDefault();
        const text = comment.value.trim();
        if (!text) return comment.focus();
        planChange({ phase: n, action: 'revise', comment: text }, { title: `Revise ${PHASES[n - 1].label.toLowerCase()}`, note: `“${text}”` });
      },
    },
    h('label', { for: 'change-comment', class: 'visually-hidden' }, 'What should change'),
    comment,
    h('button', { type: 'submit', class: 'btn' }, 'See what it redoes')));
}

/** Sends feedback straight away (approve, presets, a revise comment), showing errors beside the control. */
async function sendFeedback(body, button, errorEl, done) {
  showError(errorEl, null);
  const buttons = [...document.querySelectorAll('.review-actions button, .revise-form button')];
  buttons.forEach((b) => (b.disabled = true));
  button?.classList.add('loading');
  try {
    const outcome = await api(`/v1/jobs/${state.job.id}/feedback`, { method: 'POST', body });
    state.follow = true;
    // An approval shows on the timeline; a change makes a version worth naming.
    if (body.action !== 'approve') toast(`${done} · version ${outcome.version}`, 'retry');
    applyJob(outcome.job);
  } catch (e) {
    buttons.forEach((b) => (b.disabled = false));
    button?.classList.remove('loading');
    showError(errorEl, e);
  }
}

// ---------------------------------------------------------------- changes with a plan (dry run first)

let pending = null; // the change the dialog is about

function planText(plan) {
  if (!plan) return '';
  const runs = plan.runs || [];
  const characters = runs.flatMap((r) => r.characters || []);
  const parts = [];
  if (plan.panels?.length) parts.push(plural(plan.panels.length, 'panel'));
  if (plan.pages?.length) parts.push(plural(plan.pages.length, 'page'));
  if (characters.length) parts.push(plural(characters.length, 'portrait'));
  if (!parts.length && runs.length) parts.push(plural(runs.length, 'phase'));
  const time = plan.estimated_ms !== undefined ? `~${(plan.estimated_ms / 1000).toFixed(1)} s` : '';
  return parts.length ? `Redoes ${[...parts, time].filter(Boolean).join(', ')}` : 'Nothing needs to be redone';
}

function renderPlan(outcome) {
  const plan = outcome.plan || {};
  const runs = plan.runs || [];
  const el = clear($('change-plan'));
  el.append(
    h('p', { class: 'plan-summary', 'data-testid': 'plan-summary' }, icon('layers'), planText(plan)),
    runs.length
      ? h('ol', { class: 'plan-runs', 'aria-label': 'Phases that run again' }, runs.map((r) => {
        const n = phaseNumber(r.phase);
        const meta = PHASES[(n || 1) - 1];
        const scope = r.panels?.length ? plural(r.panels.length, 'panel') : r.characters?.length ? r.characters.join(', ') : 'all';
        return h('li', {}, h('strong', {}, meta.label), h('span', { class: 'muted' }, ` · ${scope}`));
      }))
      : null,
    h('p', { class: 'muted small' },
      `${plural(plan.ai_calls || 0, 'AI call')}`,
      plan.panels?.length ? ` · panels ${plan.panels.join(', ')}` : '',
      outcome.version ? ` · makes a new version from v${outcome.version}` : ''),
  );
}

async function planChange(body, { title, image = null, note = null, confirmLabel = null, edit = null } = {}) {
  if (state.busy) return;
  const dialog = $('change-dialog');
  pending = { body, edit };
  $('change-title').textContent = title || 'Change';
  const preview = clear($('change-preview'));
  if (image) preview.append(h('img', { src: image, alt: '' }));
  if (note) preview.append(h('p', { class: 'muted', lang: langOf(note) }, note));
  preview.hidden = !image && !note;
  $('change-edit').hidden = !edit;
  if (edit) {
    $('change-text-label').textContent = edit.label;
    $('change-text').value = edit.value;
    $('change-text').lang = langOf(edit.value) || '';
  }
  $('change-confirm').textContent = confirmLabel || (body.action === 'regenerate' ? 'Regenerate' : body.action === 'edit' ? 'Apply edit' : 'Revise');
  showError($('change-error'), null);
  if (!dialog.open) dialog.showModal();
  if (edit) $('change-text').focus();
  await dryRun();
}

async function dryRun() {
  const confirm = $('change-confirm');
  confirm.disabled = true;
  const body = currentChangeBody();
  clear($('change-plan')).append(h('p', { class: 'plan-summary muted' }, h('span', { class: 'loader small', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')), 'Working out what this redoes…'));
  try {
    const outcome = await api(`/v1/jobs/${state.job.id}/feedback`, { method: 'POST', body: { ...body, dry_run: true } });
    renderPlan(outcome);
    confirm.disabled = false;
    if (!pending?.edit) confirm.focus();
  } catch (e) {
    clear($('change-plan'));
    showError($('change-error'), e);
  }
}

function currentChangeBody() {
  const body = { ...pending.body };
  if (pending.edit) body.value = $('change-text').value;
  return body;
}

function editChange(edit) {
  planChange({ phase: edit.phase, action: 'edit', field: edit.field, value: edit.value }, { title: edit.title, edit });
}

function wireJobView() {
  const dialog = $('change-dialog');
  $('change-cancel').addEventListener('click', () => dialog.close());
  $('change-replan').addEventListener('click', dryRun);
  $('change-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!pending) return;
    const confirm = $('change-confirm');
    confirm.disabled = true;
    confirm.classList.add('loading');
    showError($('change-error'), null);
    state.busy = true;
    try {
      const outcome = await api(`/v1/jobs/${state.job.id}/feedback`, { method: 'POST', body: currentChangeBody() });
      dialog.close();
      state.follow = true;
      toast(`Version ${outcome.version} started · ${planText(outcome.plan).toLowerCase()}`, 'layers');
      applyJob(outcome.job);
      loadVersions();
    } catch (err) {
      showError($('change-error'), err);
      confirm.disabled = false;
    } finally {
      state.busy = false;
      confirm.classList.remove('loading');
    }
  });
  dialog.addEventListener('close', () => (pending = null));

  $('open-reader').addEventListener('click', () => startReader(0));
  $('cancel-job').addEventListener('click', async () => {
    if (!confirm('Cancel this job? Phases still running are discarded and its files are no longer served.')) return;
    try {
      applyJob(await api(`/v1/jobs/${state.job.id}`, { method: 'DELETE' }));
    } catch (e) {
      showError($('job-error'), e);
    }
  });
  $('png-menu').addEventListener('toggle', () => {
    if ($('png-menu').open) {
      if (!state.job?.links?.pdf) $('png-menu').open = false;
      else fillPngList();
    }
  });
  document.addEventListener('click', (e) => {
    if ($('png-menu').open && !$('png-menu').contains(e.target)) $('png-menu').open = false;
  });
  for (const a of [$('download-pdf'), $('download-cbz')]) a.addEventListener('click', (e) => { if (!a.href) e.preventDefault(); });

  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sendChat();
  });
  $('chat-input').addEventListener('keydown', (e) => {
    // Enter sends; Shift+Enter is a new line; never while an IME is composing (Japanese input).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendChat();
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && document.body.classList.contains('nav-open')) closeNav();
  });
}

async function fillPngList() {
  const list = clear($('png-list'));
  let count = 0;
  try {
    const d = await phaseDetail(8);
    count = d.result?.pages?.length || 0;
  } catch {
    count = 0;
  }
  for (let i = 1; i <= count; i++) {
    const name = `pages/page-${String(i).padStart(3, '0')}.png`;
    list.append(h('li', {}, h('a', { href: withToken(artifactPath(state.job.id, name)), download: `page-${String(i).padStart(3, '0')}.png`, 'data-testid': 'download-png-page' }, icon('download'), `Page ${i}`)));
  }
  if (!count) list.append(h('li', { class: 'muted small' }, 'No pages yet.'));
}

// ---------------------------------------------------------------- reader

async function startReader(startIndex = 0) {
  const job = state.job;
  if (!job) return;
  let pages = [];
  let rtl = false;
  let title = job.title;
  let lang = null;
  try {
    const manifest = await api(artifactPath(job.id, 'reader.json'));
    rtl = manifest.direction === 'right_to_left' || manifest.direction === 'rtl';
    title = manifest.title || title;
    lang = manifest.language;
    pages = (manifest.pages || []).map((p, i) => ({
      url: withToken(keyPath(job.id, p.image) || artifactPath(job.id, `pages/page-${String(i + 1).padStart(3, '0')}.png`)),
      thumb: p.thumbnail ? withToken(keyPath(job.id, p.thumbnail)) : null,
    }));
  } catch {
    // No manifest: the composed pages, in the concept's direction.
    try {
      const [compose, concept] = await Promise.all([phaseDetail(7), phaseDetail(1)]);
      rtl = concept.result?.reading_direction === 'right_to_left';
      lang = concept.result?.language;
      pages = (compose.previews || []).filter((p) => p.kind === 'page').map((p) => ({ url: withToken(p.url) }));
    } catch (e) {
      toast(`The pages could not be loaded: ${e.message}`, 'alert');
      return;
    }
  }
  if (!pages.length) {
    toast('There are no pages to read yet.', 'alert');
    return;
  }
  openReader({ pages, rtl, title, lang, start: startIndex });
}

// ---------------------------------------------------------------- chat

async function sendChat() {
  const input = $('chat-input');
  const message = input.value.trim();
  if (!message || !state.job) return;
  showError($('chat-error'), null);
  const log = $('chat-log');
  log.append(h('li', { class: 'msg me', lang: langOf(message) }, message));
  input.value = '';
  const send = $('chat-send');
  send.disabled = true;
  const thinking = h('li', { class: 'msg bot thinking' }, h('span', { class: 'loader small', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')), h('span', { class: 'visually-hidden' }, 'Thinking'));
  log.append(thinking);
  log.scrollTop = log.scrollHeight;
  try {
    const suggestion = await api(`/v1/jobs/${state.job.id}/chat`, { method: 'POST', body: { message, phase: state.selected || undefined } });
    thinking.replaceWith(suggestionBubble(suggestion));
  } catch (e) {
    thinking.remove();
    showError($('chat-error'), e);
    input.value = input.value || message;
  } finally {
    send.disabled = false;
    log.scrollTop = log.scrollHeight;
  }
}

function describeAction(s) {
  switch (s.action) {
    case 'edit': return `edit ${s.field} → ${typeof s.value === 'string' ? s.value : JSON.stringify(s.value)}`;
    case 'regenerate': return `regenerate ${s.target}`;
    case 'revise': return `revise: “${s.comment}”`;
    default: return s.action;
  }
}

function suggestionBubble(s) {
  const n = phaseNumber(s.phase);
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const { summary, phase, ...action } = s;
  const li = h('li', { class: 'msg bot suggestion', 'data-testid': 'chat-suggestion' },
    h('p', { class: 'suggestion-summary', lang: langOf(summary) }, summary),
    h('p', { class: 'muted small' }, `${n ? PHASES[n - 1].label : 'Phase ?'} · ${describeAction(s)}`),
    h('div', { class: 'suggestion-actions' },
      h('button', {
        type: 'button', class: 'btn primary small', 'data-testid': 'chat-apply', onclick: async (e) => {
          const button = e.currentTarget;
          button.disabled = true;
          showError(error, null);
          try {
            const outcome = await api(`/v1/jobs/${state.job.id}/feedback`, { method: 'POST', body: { phase: n, ...action } });
            li.classList.add('applied');
            li.querySelector('.suggestion-actions').replaceWith(h('p', { class: 'applied-note' }, icon('check'), `Applied · version ${outcome.version}`));
            state.follow = true;
            applyJob(outcome.job);
            loadVersions();
          } catch (err) {
            button.disabled = false;
            showError(error, err);
          }
        },
      }, 'Apply'),
      h('button', {
        type: 'button', class: 'btn ghost small', 'data-testid': 'chat-cancel', onclick: () => {
          li.classList.add('dismissed');
          li.querySelector('.suggestion-actions').replaceWith(h('p', { class: 'muted small' }, 'Dismissed'));
        },
      }, 'Cancel')),
    error);
  return li;
}

// ---------------------------------------------------------------- versions

async function loadVersions() {
  if (!state.job) return;
  const id = state.job.id;
  try {
    const list = await api(`/v1/jobs/${id}/versions`);
    if (!state.job || state.job.id !== id) return;
    state.versions = list;
    renderVersions();
  } catch (e) {
    showError($('versions-error'), e);
  }
}

function renderVersions() {
  const list = clear($('version-list'));
  const v = state.versions;
  if (!v) return;
  const running = ['running', 'pending'].includes(state.job.state);
  for (const version of [...v.versions].reverse()) {
    const current = version.version === v.current;
    list.append(h('li', { class: `version ${current ? 'current' : ''}`, 'data-testid': 'version-item', 'data-version': version.version },
      h('div', { class: 'version-main' },
        h('span', { class: 'version-number' }, `v${version.version}`),
        h('span', { class: 'version-note', lang: langOf(version.note) }, version.note || (version.parent ? `from v${version.parent}` : 'First version')),
        current ? h('span', { class: 'badge', 'data-state': 'approved' }, 'Current') : null),
      h('div', { class: 'version-sub muted small' },
        version.parent ? `from v${version.parent} · ` : '',
        h('time', { datetime: version.created_at, 'data-relative': version.created_at }, relativeTime(version.created_at))),
      h('div', { class: 'version-actions' },
        current ? null : h('button', {
          type: 'button', class: 'btn ghost small', 'data-testid': 'version-restore', disabled: running,
          title: running ? 'Wait until the running phase has finished' : `Make v${version.version} current again`,
          onclick: () => versionAction(`/v1/jobs/${state.job.id}/versions/${version.version}/restore`, `Version ${version.version} restored`),
        }, icon('restore'), 'Restore'),
        h('button', {
          type: 'button', class: 'btn ghost small', 'data-testid': 'version-branch', disabled: running,
          title: running ? 'Wait until the running phase has finished' : `A new version with v${version.version}'s outputs`,
          onclick: () => versionAction(`/v1/jobs/${state.job.id}/versions/${version.version}/branch`, `Branched from v${version.version}`, {}),
        }, icon('branch'), 'Branch'))));
  }
}

async function versionAction(path, message, body) {
  showError($('versions-error'), null);
  try {
    const out = await api(path, { method: 'POST', body });
    const job = out.job || out;
    state.details.clear();
    toast(out.job ? `${message} · now v${out.version}` : message, 'layers');
    applyJob(job);
    loadVersions();
  } catch (e) {
    showError($('versions-error'), e);
  }
}

// ---------------------------------------------------------------- live updates

function setLive(mode, text) {
  const el = $('live-status');
  el.dataset.mode = mode;
  el.querySelector('.live-text').textContent = text || { ws: 'Live', sse: 'Live (SSE)', connecting: 'Connecting…', reconnecting: 'Reconnecting…', off: 'Not connected' }[mode] || mode;
  el.title = { ws: 'Live updates over WebSocket', sse: 'Live updates over Server-Sent Events', reconnecting: 'The live connection dropped; trying again' }[mode] || '';
}

function disconnect() {
  const conn = state.conn;
  if (!conn) return;
  conn.closed = true;
  clearTimeout(conn.timer);
  clearInterval(conn.poll);
  if (conn.ws) conn.ws.close();
  if (conn.es) conn.es.close();
  state.conn = null;
}

function connect(jobId) {
  disconnect();
  const conn = { jobId, closed: false, ws: null, es: null, mode: null, retries: 0, timer: null, poll: null };
  state.conn = conn;
  setLive('connecting');
  if ('WebSocket' in window) openSocket(conn);
  else openEvents(conn);
  // A slow safety net: if every stream is down, the job is still polled.
  conn.poll = setInterval(() => {
    if (conn.mode === null || conn.mode === 'reconnecting') refreshJob();
  }, 10000);
}

function openSocket(conn) {
  let opened = false;
  let fellBack = false;
  const ws = new WebSocket(wsUrl(`/ws/jobs/${encodeURIComponent(conn.jobId)}`));
  conn.ws = ws;
  const fallback = () => {
    if (fellBack || conn.closed) return;
    fellBack = true;
    openEvents(conn);
  };
  const guard = setTimeout(() => {
    if (!opened) {
      ws.close();
      fallback();
    }
  }, 5000);
  ws.onopen = () => {
    opened = true;
    clearTimeout(guard);
    conn.mode = 'ws';
    conn.retries = 0;
    setLive('ws');
  };
  ws.onmessage = (m) => {
    try {
      handleEvent(JSON.parse(m.data), conn);
    } catch {
      // A frame that is not an event: ignore it.
    }
  };
  ws.onclose = () => {
    clearTimeout(guard);
    if (conn.closed || conn.ws !== ws) return;
    if (!opened) return fallback(); // the WebSocket is not available here: use SSE
    conn.mode = 'reconnecting';
    setLive('reconnecting');
    conn.retries += 1;
    conn.timer = setTimeout(() => !conn.closed && openSocket(conn), Math.min(15000, 500 * 2 ** conn.retries));
  };
}

function openEvents(conn) {
  if (conn.closed || conn.es) return;
  conn.ws = null;
  const es = new EventSource(withToken(`/v1/jobs/${encodeURIComponent(conn.jobId)}/events`));
  conn.es = es;
  const onEvent = (m) => {
    try {
      handleEvent(JSON.parse(m.data), conn);
    } catch {
      // Not JSON: ignore.
    }
  };
  for (const kind of EVENT_KINDS) if (kind !== 'error') es.addEventListener(kind, onEvent);
  es.onmessage = onEvent;
  es.onopen = () => {
    conn.mode = 'sse';
    setLive('sse');
  };
  es.onerror = () => {
    if (conn.closed) return;
    conn.mode = 'reconnecting';
    setLive('reconnecting');
    if (es.readyState === EventSource.CLOSED) {
      conn.es = null;
      conn.timer = setTimeout(() => openEvents(conn), 3000);
    }
  };
}

let refetchTimer = null;

/** Fetches the job view again soon, coalescing bursts of events. */
function refreshJob(delay = 120) {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(async () => {
    if (!state.job) return;
    const id = state.job.id;
    try {
      const job = await api(`/v1/jobs/${id}`);
      if (state.job && state.job.id === id) applyJob(job);
    } catch (e) {
      if (e.status === 404) showError($('job-error'), e);
    }
  }, delay);
}

function handleEvent(ev, conn) {
  if (!ev || !state.job || conn !== state.conn) return;
  if (ev.job_id && ev.job_id !== state.job.id) return;
  const n = typeof ev.phase === 'number' ? ev.phase : phaseNumber(ev.phase);
  switch (ev.kind) {
    case 'snapshot': {
      const view = ev.job || ev.data;
      if (view && view.id) applyJob(view);
      else refreshJob(0);
      return;
    }
    case 'phase_started':
      state.live[n] = { done: 0, total: 0, message: ev.message, drawn: new Map(), version: ev.version };
      break;
    case 'phase_progress': {
      const live = state.live[n] || (state.live[n] = { drawn: new Map() });
      Object.assign(live, { done: ev.done, total: ev.total, message: ev.message, version: ev.version });
      onProgress(n, ev, live);
      return;
    }
    case 'phase_finished':
      if (state.live[n]) Object.assign(state.live[n], { done: state.live[n].total, message: ev.message });
      break;
    case 'phase_retrying':
      toast(`Quality check: ${ev.message}`, 'retry');
      break;
    case 'awaiting_review':
      state.follow = true;
      break;
    case 'job_failed':
      showError($('job-error'), `The job failed: ${ev.message}`);
      break;
    case 'chat':
    case 'feedback':
    case 'error':
      if (ev.error) showError($('chat-error'), ev.error);
      break;
    default:
      break;
  }
  logActivity(ev, n);
  if (REFETCH_ON.has(ev.kind)) {
    refreshJob();
    if (['phase_finished', 'awaiting_review', 'job_finished'].includes(ev.kind) && n) {
      // The phase's output changed: its detail is fetched again when shown.
      for (const key of [...state.details.keys()]) if (key.endsWith(`:${n}`)) state.details.delete(key);
    }
  }
}

/** Progress without a full re-render: the step's bar, the live box and a freshly drawn tile. */
function onProgress(n, ev, live) {
  const pct = live.total ? Math.round((100 * live.done) / live.total) : 0;
  const step = document.querySelector(`.step[data-phase="${n}"]`);
  if (step) {
    const bar = step.querySelector('.progress');
    bar.classList.toggle('indeterminate', !live.total);
    bar.setAttribute('aria-valuenow', pct);
    bar.querySelector('.progress-fill').style.width = `${pct}%`;
  }
  const panel = $('phase-panel');
  if (state.selected === n) {
    const message = panel.querySelector('[data-live-message]');
    if (message) message.textContent = ev.message;
    const count = panel.querySelector('[data-live-count]');
    if (count) count.textContent = live.total ? `${live.done} / ${live.total}` : '';
    const fill = panel.querySelector('[data-live-fill]');
    if (fill) {
      fill.style.width = `${pct}%`;
      fill.parentElement.classList.remove('indeterminate');
    }
  }
  const drawn = /panel (p\d+-\d+)/.exec(ev.message || '');
  if (drawn && (n === 5 || n === 6)) {
    live.drawn.set(drawn[1], ev.version || state.job.version);
    if (state.selected === n && !updateTile(panel, n, state.job.id, drawn[1], ev.version || state.job.version)) renderPhasePanel({ force: true });
  }
}

function logActivity(ev, n) {
  const label = {
    phase_started: 'started', phase_finished: 'finished', phase_retrying: 'retrying', awaiting_review: 'needs review',
    job_finished: 'Published', job_failed: 'Failed', job_cancelled: 'Cancelled', version_created: 'New version',
    version_restored: 'Restored', feedback: 'Feedback', chat: 'Chat', review_timeout: 'Review timed out',
    phase_resent: 'sent again',
  }[ev.kind];
  if (!label) return;
  const who = n && PHASES[n - 1] ? PHASES[n - 1].label : '';
  const text = ['phase_started', 'phase_finished', 'phase_retrying', 'awaiting_review', 'phase_resent'].includes(ev.kind)
    ? `${who} ${label}` : label;
  state.activity.unshift({ kind: ev.kind, text, message: ev.message, quality: ev.quality, at: ev.at, version: ev.version });
  state.activity.length = Math.min(state.activity.length, 60);
  renderActivity();
}

function renderActivity() {
  const list = clear($('activity'));
  if (!state.activity.length) {
    list.append(h('li', { class: 'muted small empty' }, 'Events appear here as the job runs.'));
    return;
  }
  for (const a of state.activity.slice(0, 30)) {
    const iconName = { phase_finished: 'check', awaiting_review: 'eye', job_finished: 'book', job_failed: 'alert', phase_retrying: 'retry', version_created: 'layers', version_restored: 'restore', chat: 'chat', feedback: 'send', phase_started: 'pulse' }[a.kind] || 'pulse';
    list.append(h('li', { class: `act act-${a.kind}` },
      icon(iconName),
      h('span', { class: 'act-text' }, h('strong', {}, a.text),
        a.message && !['phase_started', 'phase_finished'].includes(a.kind) ? h('span', { class: 'muted', lang: langOf(a.message) }, ` · ${a.message}`) : null,
        a.quality !== null && a.quality !== undefined ? h('span', { class: 'muted' }, ` · q ${Number(a.quality).toFixed(2)}`) : null),
      h('time', { class: 'muted small', datetime: a.at }, clockTime(a.at))));
  }
}

// ---------------------------------------------------------------- toasts

function toast(message, iconName = 'check', action = null) {
  const box = $('toasts');
  while (box.children.length >= 3) box.firstElementChild.remove();
  const el = h('div', { class: 'toast', role: 'status' }, icon(iconName), h('span', { lang: langOf(message) }, message),
    action ? h('button', { type: 'button', class: 'btn small', onclick: () => { action.action(); el.remove(); } }, action.label) : null);
  box.append(el);
  setTimeout(() => el.classList.add('leaving'), action ? 7000 : 3500);
  setTimeout(() => el.remove(), action ? 7400 : 3900);
}

// Keyboard shortcut: "r" opens the reader when the job is published (not while typing).
document.addEventListener('keydown', (e) => {
  if (e.key !== 'r' || e.ctrlKey || e.metaKey || e.altKey || readerOpen()) return;
  const t = e.target;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
  if ($('change-dialog').open) return;
  if (state.job?.links?.pdf) startReader(0);
});

