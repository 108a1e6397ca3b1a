// How each phase's output looks on the page: the concept card, the
// character sheets, the plot's beats, the storyboard ("name"), panels as they
// are drawn and lettered, the composed pages and the published thumbnails.
//
// Every renderer takes the phase detail (GET /v1/jobs/{id}/phases/{n}) and a
// context from app.js: the job, the concept and storyboard when known, what
// is being drawn right now, and callbacks for changes (regenerate, edit).

import { h, icon, PHASES, plural, langOf } from './dom.js';
import { withToken, keyPath, artifactPath } from './api.js';

const MOODS = { calm: 'Calm', warm: 'Warm', tense: 'Tense', dark: 'Dark', melancholy: 'Melancholy', mysterious: 'Mysterious', comic: 'Comic' };
const BEATS = {
  ki: ['起', 'Ki', 'Introduction'], sho: ['承', 'Shō', 'Development'], ten: ['転', 'Ten', 'Twist'], ketsu: ['結', 'Ketsu', 'Conclusion'],
  setup: ['I', 'Setup', 'Act one'], confrontation: ['II', 'Confrontation', 'Act two'], resolution: ['III', 'Resolution', 'Act three'],
};
const LANGUAGES = { ja: '日本語', en: 'English' };
const words = (s) => String(s ?? '').replace(/_/g, ' ');
const cap = (s) => words(s).replace(/^./, (c) => c.toUpperCase());

/** The renderer for phase n. */
export function renderPhase(n, detail, ctx) {
  const result = detail?.result ?? null;
  switch (n) {
    case 1: return result ? concept(result, ctx) : null;
    case 2: return result ? characters(result, detail, ctx) : null;
    case 3: return result ? plot(result, ctx) : null;
    case 4: return result ? storyboard(result, ctx) : null;
    case 5: return panels(detail, ctx, 'panel');
    case 6: return panels(detail, ctx, 'lettered');
    case 7: return result ? pages(detail, ctx) : null;
    case 8: return result ? publication(detail, ctx) : null;
    default: return null;
  }
}

/** Whether phase n can show something before its result exists (panels filling in). */
export function rendersWhileRunning(n, ctx) {
  return (n === 5 || n === 6) && Boolean(ctx.storyboard);
}

function names(ctx) {
  const map = new Map();
  for (const c of ctx.concept?.characters || []) map.set(c.id, c.name);
  return (id) => map.get(id) || id;
}

// ---------------------------------------------------------------- 1 concept

function concept(c, ctx) {
  const lang = c.language === 'ja' ? 'ja' : 'en';
  const rtl = c.reading_direction === 'right_to_left';
  const maxMentions = Math.max(1, ...c.characters.map((x) => x.mentions));
  const lines = c.dialogue || [];
  const who = names({ concept: c });
  return h('div', { class: 'concept', 'data-testid': 'concept-card' },
    h('div', { class: 'concept-hero' },
      h('h3', { class: 'concept-title', lang }, c.title),
      h('p', { class: 'concept-summary', lang }, c.summary),
      h('ul', { class: 'chips', 'aria-label': 'At a glance' },
        h('li', { class: 'chip' }, icon('book'), cap(c.genre)),
        h('li', { class: 'chip' }, MOODS[c.mood] || cap(c.mood)),
        h('li', { class: 'chip' }, LANGUAGES[c.language] || c.language),
        h('li', { class: 'chip' }, rtl ? 'Right to left ←' : 'Left to right →'),
        h('li', { class: 'chip' }, plural(Number(c.page_count) || 0, 'page')),
      ),
    ),
    h('div', { class: 'concept-grid' },
      h('section', { class: 'facet' },
        h('h4', {}, 'Cast'),
        c.characters.length
          ? h('ul', { class: 'cast-list' }, c.characters.map((x) =>
            h('li', {},
              h('span', { class: 'cast-name', lang }, x.name),
              h('span', { class: 'cast-bar', 'aria-hidden': 'true' }, h('span', { style: { width: `${(100 * x.mentions) / maxMentions}%` } })),
              h('span', { class: 'cast-count' }, plural(x.mentions, 'mention')),
              x.descriptors?.length ? h('span', { class: 'cast-desc', lang }, x.descriptors.join('・')) : null,
            )))
          : h('p', { class: 'muted' }, 'No named characters.'),
      ),
      h('section', { class: 'facet' },
        h('h4', {}, 'Themes'),
        h('ul', { class: 'chips' }, (c.themes || []).map((t) => h('li', { class: 'chip soft', lang }, t))),
        h('h4', {}, 'Places'),
        h('ul', { class: 'chips' }, (c.places || []).map((p) => h('li', { class: 'chip soft', lang, title: cap(p.kind) }, p.name))),
        (c.times || []).length ? h('h4', {}, 'Time') : null,
        (c.times || []).length ? h('ul', { class: 'chips' }, c.times.map((t) => h('li', { class: 'chip soft', lang, title: cap(t.time_of_day) }, t.text))) : null,
      ),
      h('section', { class: 'facet wide' },
        h('h4', {}, `Dialogue · ${plural(lines.length, 'line')}`),
        h('ul', { class: 'quotes' }, lines.slice(0, 4).map((l) =>
          h('li', { lang },
            h('span', { class: 'quote-speaker' }, l.speaker ? who(l.speaker) : '—'),
            h('q', { class: `quote quote-${l.kind}` }, l.text)))),
        lines.length > 4 ? h('p', { class: 'muted small' }, `and ${plural(lines.length - 4, 'more line')}`) : null,
      ),
    ),
  );
}

// ---------------------------------------------------------------- 2 characters

function characters(bible, detail, ctx) {
  const previews = new Map((detail.previews || []).map((p) => [p.target, p.url]));
  return h('div', { class: 'character-grid', 'data-testid': 'character-sheet' }, bible.characters.map((c) => {
    const target = `portrait:${c.id}`;
    const url = previews.get(target) || keyPath(ctx.jobId, c.portrait);
    const look = c.look || {};
    const swatches = [['Hair', look.hair_color], ['Eyes', look.eye_color], ['Skin', look.skin], ['Outfit', look.outfit_color], ['Accent', look.accent_color]].filter(([, v]) => v);
    const lang = langOf(c.name + c.personality);
    return h('article', { class: 'character-card', 'data-character': c.id },
      url
        ? h('button', {
          class: 'portrait', type: 'button', 'data-testid': 'portrait', 'data-target': target,
          title: `Redraw ${c.name}'s portrait`, 'aria-label': `Portrait of ${c.name}. Redraw it`,
          onclick: () => ctx.regenerate({ phase: 2, target, title: `Redraw ${c.name}'s portrait`, image: withToken(url) }),
        }, h('img', { src: withToken(url), alt: `Portrait of ${c.name}`, loading: 'lazy', 'data-portrait': c.id }), h('span', { class: 'tile-hint' }, icon('retry'), 'Redraw'))
        : h('div', { class: 'portrait placeholder' }, icon('image')),
      h('div', { class: 'character-body' },
        h('div', { class: 'character-head' },
          h('h3', { lang }, c.name),
          h('span', { class: `role role-${c.role}` }, cap(c.role))),
        h('ul', { class: 'swatches', 'aria-label': 'Palette' }, swatches.map(([label, colour]) =>
          h('li', { title: `${label} ${colour}` }, h('span', { class: 'swatch', style: { background: colour } }), h('span', { class: 'swatch-label' }, label)))),
        h('p', { class: 'traits' }, [cap(look.age), words(look.build), `${words(look.hair_style)} hair`, words(look.outfit), look.spectacles ? 'glasses' : null].filter(Boolean).join(' · ')),
        c.personality ? h('p', { class: 'character-text', lang }, c.personality) : null,
        c.speech_style ? h('p', { class: 'character-text muted', lang }, h('span', { class: 'label' }, 'Speech '), c.speech_style) : null,
      ));
  }));
}

// ---------------------------------------------------------------- 3 plot

function plot(p, ctx) {
  const who = names(ctx);
  const kisho = p.structure === 'kishotenketsu';
  return h('div', { class: 'plot', 'data-testid': 'plot-beats' },
    h('p', { class: 'structure' }, kisho ? h('span', { lang: 'ja', class: 'structure-ja' }, '起承転結') : null, kisho ? ' Kishōtenketsu — four movements' : 'Three acts'),
    h('ol', { class: 'beats' }, p.scenes.map((s) => {
      const [mark, name, gloss] = BEATS[s.beat] || ['•', cap(s.beat), ''];
      const lang = langOf(s.title + s.summary);
      return h('li', { class: `beat beat-${s.beat}` },
        h('div', { class: 'beat-mark', lang: kisho ? 'ja' : null, title: gloss }, mark),
        h('div', { class: 'beat-body' },
          h('p', { class: 'beat-kicker' }, `${name} · ${gloss}`),
          h('h3', { lang }, s.title),
          h('p', { lang }, s.summary),
          h('ul', { class: 'chips small' },
            s.place ? h('li', { class: 'chip soft', lang }, s.place) : null,
            h('li', { class: 'chip soft' }, cap(s.time_of_day)),
            h('li', { class: 'chip soft' }, MOODS[s.mood] || cap(s.mood)),
            h('li', { class: 'chip soft' }, plural(s.pages, 'page')),
            s.cast.map((id) => h('li', { class: 'chip cast', lang: langOf(who(id)) }, who(id))))));
    })));
}

// ---------------------------------------------------------------- 4 storyboard

function pageBox(board, page, children, attrs = {}) {
  const size = board.page_size || { width: 1240, height: 1751 };
  return h('figure', { class: 'sheet', ...attrs },
    h('div', { class: 'sheet-page', style: { aspectRatio: `${size.width} / ${size.height}` } }, children),
    h('figcaption', {}, h('strong', {}, `Page ${page.number}`), ` · ${plural(page.panels.length, 'panel')}`));
}

function framed(board, frame) {
  const size = board.page_size || { width: 1240, height: 1751 };
  return {
    left: `${(100 * frame.x) / size.width}%`, top: `${(100 * frame.y) / size.height}%`,
    width: `${(100 * frame.w) / size.width}%`, height: `${(100 * frame.h) / size.height}%`,
  };
}

function storyboard(board, ctx) {
  const vertical = (ctx.concept?.language || '') === 'ja';
  const who = names(ctx);
  return h('div', { class: 'sheets storyboard', 'data-testid': 'storyboard' }, board.pages.map((page, pi) =>
    pageBox(board, page, page.panels.map((panel, ki) =>
      h('div', { class: 'sb-panel', style: framed(board, panel.frame), 'data-panel-plan': panel.id, title: panel.action },
        h('span', { class: 'sb-order' }, ki + 1),
        h('span', { class: 'sb-shot' }, `${words(panel.shot)} · ${words(panel.angle)}`),
        h('div', { class: `sb-balloons ${vertical ? 'vertical' : ''}` }, panel.balloons.map((b, bi) =>
          h('button', {
            type: 'button', class: `sb-balloon kind-${b.kind}`, lang: langOf(b.text),
            title: `${b.speaker ? who(b.speaker) : 'Narration'}: ${b.text} — click to edit`,
            'aria-label': `Edit ${b.kind} of ${b.speaker ? who(b.speaker) : 'the narrator'}: ${b.text}`,
            onclick: () => ctx.editText({
              phase: 4, field: `/pages/${pi}/panels/${ki}/balloons/${bi}/text`, value: b.text,
              title: `Edit a line in panel ${panel.id}`, label: b.speaker ? who(b.speaker) : 'Narration',
            }),
          }, b.text))),
        panel.sfx?.length ? h('span', { class: 'sb-sfx', lang: langOf(panel.sfx.join('')) }, panel.sfx.join(' ')) : null,
        h('span', { class: 'sb-action', lang: langOf(panel.action) }, panel.action))),
    { 'data-page': page.number })));
}

// ---------------------------------------------------------------- 5, 6 panels

/** The panel tiles of phase 5 (art) or 6 (lettering), placed on their pages as drawn. */
function panels(detail, ctx, kind) {
  const board = ctx.storyboard;
  const phase = kind === 'panel' ? 5 : 6;
  const previews = new Map((detail?.previews || []).filter((p) => p.kind === kind).map((p) => [p.target, p.url]));
  const dir = kind === 'panel' ? 'panels' : 'lettered';
  const live = ctx.live?.[phase]?.drawn || new Map();
  const src = (id) => {
    if (live.has(id)) return artifactPath(ctx.jobId, `${dir}/${id}.png`, live.get(id));
    return previews.get(`panel:${id}`) || null;
  };
  const tile = (id, style, action) => {
    const url = src(id);
    return h('button', {
      type: 'button', class: `panel-tile ${url ? '' : 'waiting'} ${live.has(id) ? 'fresh' : ''}`.trim(), style,
      'data-testid': 'panel-tile', 'data-tile': id, disabled: !url || ctx.busy,
      title: url ? `Panel ${id}${action ? ` — ${action}` : ''}. Click to regenerate.` : `Panel ${id} is not drawn yet`,
      'aria-label': url ? `Panel ${id}. Regenerate this panel` : `Panel ${id}, not drawn yet`,
      onclick: () => ctx.regenerate({ phase: 5, target: `panel:${id}`, title: `Regenerate panel ${id}`, image: withToken(url), note: action }),
    }, url
      ? [h('img', { src: withToken(url), alt: `Panel ${id}${action ? `: ${action}` : ''}`, 'data-panel': id, loading: 'lazy', decoding: 'async' }),
        h('span', { class: 'tile-hint' }, icon('retry'), 'Regenerate')]
      : h('span', { class: 'tile-wait' }, id));
  };
  if (!board) {
    if (!previews.size) return null;
    return h('div', { class: 'tile-grid', 'data-testid': `${dir}-grid` }, [...previews.keys()].map((t) => tile(t.slice(6), null, null)));
  }
  return h('div', { class: 'sheets', 'data-testid': `${dir}-grid` }, board.pages.map((page) =>
    pageBox(board, page, page.panels.map((p) => tile(p.id, framed(board, p.frame), p.action)), { 'data-page': page.number })));
}

/** Swaps a freshly drawn panel into its tile without re-rendering the phase. */
export function updateTile(root, phase, jobId, id, version) {
  const tile = root.querySelector(`[data-tile="${CSS.escape(id)}"]`);
  if (!tile) return false;
  const dir = phase === 5 ? 'panels' : 'lettered';
  const url = withToken(artifactPath(jobId, `${dir}/${id}.png`, version));
  let img = tile.querySelector('img');
  if (!img) {
    tile.textContent = '';
    img = h('img', { alt: `Panel ${id}`, 'data-panel': id, decoding: 'async' });
    tile.append(img, h('span', { class: 'tile-hint' }, icon('retry'), 'Regenerate'));
  }
  img.src = url;
  tile.classList.remove('waiting');
  tile.classList.remove('fresh');
  void tile.offsetWidth; // restart the highlight animation
  tile.classList.add('fresh');
  return true;
}

// ---------------------------------------------------------------- 7 compose

function pages(detail, ctx) {
  const list = (detail.previews || []).filter((p) => p.kind === 'page');
  const quality = new Map((detail.result.pages || []).map((p) => [p.number, p.quality]));
  return h('div', { class: 'page-grid', 'data-testid': 'page-grid' }, list.map((p) => {
    const n = Number((p.target || '').split(':')[1]) || Number(p.label.replace(/\D/g, ''));
    const q = quality.get(n);
    return h('figure', { class: 'page-card' },
      h('button', {
        type: 'button', class: 'page-tile', 'data-testid': 'page-image', 'data-page': n, disabled: ctx.busy,
        'aria-label': `Page ${n}. Redraw this page`,
        onclick: () => ctx.regenerate({ phase: 5, target: `page:${n}`, title: `Redraw page ${n}`, image: withToken(p.url) }),
      }, h('img', { src: withToken(p.url), alt: `Page ${n}`, loading: 'lazy' }), h('span', { class: 'tile-hint' }, icon('retry'), 'Redraw page')),
      h('figcaption', {}, `Page ${n}`, q ? h('span', { class: 'muted' }, ` · quality ${Number(q.score).toFixed(2)}`) : null));
  }));
}

// ---------------------------------------------------------------- 8 publish

function publication(detail, ctx) {
  const thumbs = (detail.previews || []).filter((p) => p.kind === 'thumbnail');
  return h('div', { class: 'publication' },
    h('div', { class: 'publish-hero' },
      h('div', {},
        h('h3', {}, 'Your manga is ready'),
        h('p', { class: 'muted' }, `${plural(thumbs.length, 'page')} · PDF, CBZ and PNG pages`)),
      h('div', { class: 'publish-actions' },
        h('button', { type: 'button', class: 'btn primary', id: 'publish-read', 'data-testid': 'publish-read', onclick: () => ctx.openReader(0) }, icon('book'), 'Read now'))),
    h('ol', { class: 'thumb-strip', dir: ctx.rtl ? 'rtl' : 'ltr', 'data-testid': 'thumbnails' }, thumbs.map((t, i) =>
      h('li', {}, h('button', { type: 'button', class: 'thumb', 'aria-label': `Read from page ${i + 1}`, onclick: () => ctx.openReader(i) },
        h('img', { src: withToken(t.url), alt: '', loading: 'lazy' }), h('span', {}, i + 1))))));
}

/** What a phase that has not produced output yet says. */
export function placeholder(n, phaseState, live) {
  const meta = PHASES[n - 1];
  if (phaseState === 'running' || phaseState === 'retrying') {
    return h('div', { class: 'placeholder-card working' },
      h('div', { class: 'loader', 'aria-hidden': 'true' }, h('span'), h('span'), h('span')),
      h('p', {}, phaseState === 'retrying' ? 'Trying again after the quality check…' : 'Working on it…'),
      live?.message ? h('p', { class: 'muted small', 'data-live-message': '' }, live.message) : null);
  }
  return h('div', { class: 'placeholder-card' },
    h('p', {}, phaseState === 'failed' ? 'This phase failed.' : 'Not started yet.'),
    h('p', { class: 'muted small' }, meta.makes));
}
