// The reader: a full-screen page viewer over the published pages. Japanese
// manga read right to left, so there "forward" is the left arrow key, a
// swipe to the right, and the button on the left edge.

import { h, clear } from './dom.js';

const el = (id) => document.getElementById(id);

const state = { pages: [], index: 0, rtl: false, lastFocus: null, open: false };

/** Wires the reader's controls once. */
export function initReader() {
  el('reader-close').addEventListener('click', closeReader);
  el('reader-next').addEventListener('click', () => go(state.index + 1));
  el('reader-prev').addEventListener('click', () => go(state.index - 1));
  const root = el('reader');
  // On the document, not the reader: clicking the last page's "next" disables
  // that button, and focus falls back to <body>, outside the reader.
  document.addEventListener('keydown', (e) => { if (state.open) onKey(e); });
  // Taps on the page's outer thirds turn pages, as in reading apps.
  el('reader-stage').addEventListener('click', (e) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = (e.clientX - rect.left) / rect.width;
    if (x < 0.3) go(state.index + (state.rtl ? 1 : -1));
    else if (x > 0.7) go(state.index + (state.rtl ? -1 : 1));
  });
  let start = null;
  root.addEventListener('touchstart', (e) => {
    if (e.touches.length === 1) start = { x: e.touches[0].clientX, y: e.touches[0].clientY, t: Date.now() };
  }, { passive: true });
  root.addEventListener('touchend', (e) => {
    if (!start) return;
    const t = e.changedTouches[0];
    const dx = t.clientX - start.x, dy = t.clientY - start.y;
    const quick = Date.now() - start.t < 800;
    start = null;
    if (!quick || Math.abs(dx) < 40 || Math.abs(dx) < Math.abs(dy) * 1.2) return;
    // Right-to-left: the next page lies to the left, so dragging rightwards reveals it.
    const forward = state.rtl ? dx > 0 : dx < 0;
    go(state.index + (forward ? 1 : -1));
  }, { passive: true });
}

/**
 * Opens the reader.
 * @param {{pages: {url: string, thumb?: string}[], rtl: boolean, title: string, lang?: string, start?: number}} book
 */
export function openReader(book) {
  state.pages = book.pages;
  state.rtl = Boolean(book.rtl);
  state.lastFocus = document.activeElement;
  const root = el('reader');
  root.dataset.direction = state.rtl ? 'rtl' : 'ltr';
  root.dataset.pages = String(book.pages.length);
  el('reader-title').textContent = book.title || 'Reader';
  if (book.lang) el('reader-title').lang = book.lang;
  el('reader-direction').textContent = state.rtl ? 'Right to left · ← next' : 'Left to right · → next';
  el('reader-next').setAttribute('aria-keyshortcuts', state.rtl ? 'ArrowLeft' : 'ArrowRight');
  el('reader-prev').setAttribute('aria-keyshortcuts', state.rtl ? 'ArrowRight' : 'ArrowLeft');
  const strip = clear(el('reader-strip'));
  strip.dir = state.rtl ? 'rtl' : 'ltr';
  book.pages.forEach((p, i) => strip.append(h('button', {
    type: 'button', class: 'strip-thumb', 'aria-label': `Page ${i + 1}`, 'data-index': i, onclick: () => go(i),
  }, h('img', { src: p.thumb || p.url, alt: '', loading: 'lazy' }), h('span', {}, i + 1))));
  root.hidden = false;
  state.open = true;
  document.body.classList.add('reading');
  go(book.start || 0, true);
  el('reader-stage').focus();
}

export function closeReader() {
  if (!state.open) return;
  state.open = false;
  el('reader').hidden = true;
  document.body.classList.remove('reading');
  if (state.lastFocus && state.lastFocus.focus) state.lastFocus.focus();
}

export function readerOpen() {
  return state.open;
}

function go(index, initial = false) {
  const n = state.pages.length;
  if (!n) return;
  const next = Math.max(0, Math.min(n - 1, index));
  if (next === state.index && !initial) return;
  const forward = next > state.index;
  state.index = next;
  const img = el('reader-image');
  img.classList.remove('turn-fwd', 'turn-back');
  img.src = state.pages[next].url;
  img.alt = `Page ${next + 1} of ${n}`;
  if (!initial) {
    void img.offsetWidth;
    img.classList.add(forward ? 'turn-fwd' : 'turn-back');
  }
  el('reader').dataset.page = String(next + 1);
  el('reader-counter').textContent = `${next + 1} / ${n}`;
  el('reader-next').disabled = next >= n - 1;
  el('reader-prev').disabled = next <= 0;
  for (const b of el('reader-strip').querySelectorAll('.strip-thumb')) {
    const current = Number(b.dataset.index) === next;
    b.classList.toggle('current', current);
    if (current) {
      b.setAttribute('aria-current', 'page');
      b.scrollIntoView({ block: 'nearest', inline: 'center' });
    } else b.removeAttribute('aria-current');
  }
  // Fetch the neighbours early so turning a page is instant.
  for (const k of [next + 1, next - 1]) if (state.pages[k]) new Image().src = state.pages[k].url;
}

function onKey(e) {
  const fwd = () => go(state.index + 1);
  const back = () => go(state.index - 1);
  switch (e.key) {
    case 'ArrowLeft': (state.rtl ? fwd : back)(); break;
    case 'ArrowRight': (state.rtl ? back : fwd)(); break;
    case 'PageDown': case ' ': fwd(); break;
    case 'PageUp': back(); break;
    case 'Home': go(0); break;
    case 'End': go(state.pages.length - 1); break;
    case 'Escape': closeReader(); break;
    case 'Tab': trapFocus(e); return;
    default: return;
  }
  e.preventDefault();
}

function trapFocus(e) {
  const focusable = [...el('reader').querySelectorAll('button:not([disabled]), [tabindex="0"]')].filter((x) => x.offsetParent !== null);
  if (!focusable.length) return;
  const first = focusable[0], last = focusable[focusable.length - 1];
  if (e.shiftKey && document.activeElement === first) { last.focus(); e.preventDefault(); }
  else if (!e.shiftKey && document.activeElement === last) { first.focus(); e.preventDefault(); }
}
