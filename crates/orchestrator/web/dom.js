// Small DOM and formatting helpers shared by the page's modules.

/**
 * Builds an element: h('button', {class: 'btn', onclick}, 'Text', child…).
 * Attributes starting with `on` become listeners; `dataset` and `style`
 * objects are applied; null/false attributes and children are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else if (key === 'class') el.className = value;
    else if (key === 'html') el.innerHTML = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(String(child));
  }
}

/** An inline SVG icon from the set below. */
export function icon(name, cls = '') {
  const span = document.createElement('span');
  span.className = `icon ${cls}`.trim();
  span.setAttribute('aria-hidden', 'true');
  span.innerHTML = ICONS[name] || '';
  return span;
}

const svg = (body, extra = '') =>
  `<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" ${extra}>${body}</svg>`;

export const ICONS = {
  check: svg('<path d="M5 12.5l4.5 4.5L19 7.5"/>'),
  x: svg('<path d="M6 6l12 12M18 6L6 18"/>'),
  alert: svg('<path d="M12 8v5M12 16.5v.5"/><path d="M10.3 3.9L2.6 17.3A2 2 0 0 0 4.3 20.3h15.4a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"/>'),
  retry: svg('<path d="M20 11a8 8 0 1 0-2.3 5.7"/><path d="M20 4v7h-7"/>'),
  eye: svg('<path d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z"/><circle cx="12" cy="12" r="3"/>'),
  pause: svg('<path d="M9 5v14M15 5v14"/>'),
  clock: svg('<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>'),
  book: svg('<path d="M12 6.5C10 5 7 4.5 3 5v13c4-.5 7 0 9 1.5 2-1.5 5-2 9-1.5V5c-4-.5-7 0-9 1.5z"/><path d="M12 6.5v13"/>'),
  download: svg('<path d="M12 4v11M7 10l5 5 5-5M5 20h14"/>'),
  send: svg('<path d="M4 12l16-8-6 16-2.5-6.5L4 12z"/>'),
  branch: svg('<circle cx="6" cy="5" r="2"/><circle cx="6" cy="19" r="2"/><circle cx="18" cy="8" r="2"/><path d="M6 7v10M18 10c0 4-6 3-12 7"/>'),
  restore: svg('<path d="M4 11a8 8 0 1 1 2.3 5.7"/><path d="M4 4v7h7"/>'),
  spark: svg('<path d="M12 3l1.8 5.2L19 10l-5.2 1.8L12 17l-1.8-5.2L5 10l5.2-1.8z"/>'),
  upload: svg('<path d="M12 16V5M7 10l5-5 5 5M5 20h14"/>'),
  menu: svg('<path d="M4 7h16M4 12h16M4 17h16"/>'),
  left: svg('<path d="M15 5l-7 7 7 7"/>'),
  right: svg('<path d="M9 5l7 7-7 7"/>'),
  close: svg('<path d="M6 6l12 12M18 6L6 18"/>'),
  chat: svg('<path d="M4 5h16v11H9l-5 4z"/>'),
  layers: svg('<path d="M12 3l9 5-9 5-9-5 9-5z"/><path d="M3 13l9 5 9-5"/>'),
  pulse: svg('<path d="M3 12h4l3-7 4 14 3-7h4"/>'),
  stop: svg('<rect x="6" y="6" width="12" height="12" rx="2"/>'),
  key: svg('<circle cx="8" cy="15" r="4"/><path d="M11 12l9-9M16 7l3 3"/>'),
  image: svg('<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/><path d="M21 16l-5-5-9 9"/>'),
  spinner: svg('<path d="M12 3a9 9 0 1 0 9 9" />', 'class="spin"'),
};

/** The eight phases: API name, English and Japanese labels, what each makes. */
export const PHASES = [
  { n: 1, name: 'concept', label: 'Concept', ja: '企画', makes: 'Reads the story: language, genre, mood, cast, places and every line spoken.' },
  { n: 2, name: 'characters', label: 'Characters', ja: 'キャラクター', makes: 'A character bible with a reference portrait for each named character.' },
  { n: 3, name: 'plot', label: 'Plot', ja: 'プロット', makes: 'Scenes and beats mapped to pages.' },
  { n: 4, name: 'name', label: 'Storyboard', ja: 'ネーム', makes: 'Panel layouts per page with shots, cast, dialogue and sound effects.' },
  { n: 5, name: 'images', label: 'Art', ja: '作画', makes: 'One drawn image per panel, with consistent characters.' },
  { n: 6, name: 'lettering', label: 'Lettering', ja: '写植', makes: 'Speech balloons, vertical or horizontal text and sound effects.' },
  { n: 7, name: 'compose', label: 'Compose', ja: '仕上げ', makes: 'Panels into pages: frames, gutters, page numbers and checks.' },
  { n: 8, name: 'publish', label: 'Publish', ja: '出版', makes: 'PDF, CBZ, PNG pages and thumbnails.' },
];

/** A phase number from a number or an API name (`5`, `"images"`). */
export function phaseNumber(value) {
  if (typeof value === 'number') return value;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1 && n <= 8) return n;
  const found = PHASES.find((p) => p.name === value);
  return found ? found.n : null;
}

export const STATE_LABELS = {
  pending: 'Pending',
  running: 'Running',
  awaiting_review: 'Needs review',
  approved: 'Approved',
  failed: 'Failed',
  retrying: 'Retrying',
  paused: 'Paused',
  succeeded: 'Published',
  cancelled: 'Cancelled',
};

/** A state badge. */
export function badge(state, extra = {}, label = null) {
  const iconName = { running: 'spinner', retrying: 'retry', awaiting_review: 'eye', approved: 'check', succeeded: 'check', failed: 'alert', paused: 'pause', cancelled: 'x' }[state];
  return h('span', { class: 'badge', 'data-state': state, ...extra }, iconName ? icon(iconName) : null, label || STATE_LABELS[state] || state);
}

/** Shorter words for the timeline's narrow steps. */
export const SHORT_STATE_LABELS = { ...STATE_LABELS, awaiting_review: 'Review' };

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60000);
  return `${m} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function relativeTime(iso) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toLocaleDateString();
}

export function clockTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** Whether a text is mostly Japanese (for lang attributes and fonts). */
export function looksJapanese(text) {
  return /[\u3040-\u30ff\u3400-\u9fff]/.test(text || '');
}

/** Sets `lang` on an element from its text when it looks Japanese. */
export function langOf(text, fallback = null) {
  return looksJapanese(text) ? 'ja' : fallback;
}

/** Removes every child. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Shows a sentence in an error slot (or hides it for null). */
export function showError(el, error) {
  if (!el) return;
  if (!error) {
    el.hidden = true;
    el.textContent = '';
    return;
  }
  const message = typeof error === 'string' ? error : error.message || String(error);
  el.textContent = message;
  el.hidden = false;
}
