// Print: the current map as PNG or PDF at A4 or A3, landscape or portrait, with title, legend, scale bar, north arrow,
// date and data sources — a sheet a planner pastes into a report. PDF goes through the browser's print (an HTML sheet
// and @page size, so Chinese text stays text: Chromium's print to PDF, or any printer); PNG is drawn on a canvas at
// 150 dpi.
import { el } from '../dom.js';
import { iconURL, legendModel } from './legend.js';

const PAPER = { A4: [297, 210], A3: [420, 297] }; // mm, landscape
const MM_PER_IN = 25.4;
/** The map's box on a sheet of w × h mm (style.css, @media print): inside 10 mm margins, beside the 55 mm legend and its 4 mm gap,
 * under the title and over the footer. */
const MAP_BOX = (w, h) => [w - 20 - 59, h - 20 - 34];

/** The map canvas as a PNG data URL, read right after a render (the drawing buffer is not kept). */
function mapImage(map) {
  return new Promise((resolve) => {
    map.once('render', () => resolve(map.getCanvas().toDataURL('image/png')));
    map.triggerRepaint();
  });
}

/** A scale bar for the map at its centre: a round length (1, 2 or 5 × 10ⁿ metres) at most maxPx CSS px long. */
export function scaleBar(map, maxPx) {
  const y = map.getContainer().clientHeight / 2;
  const a = map.unproject([0, y]);
  const b = map.unproject([maxPx, y]);
  const metres = a.distanceTo(b); // haversine over maxPx: ample for a bar
  const pow = 10 ** Math.floor(Math.log10(metres));
  const nice = [5, 2, 1].map((m) => m * pow).find((m) => m <= metres) ?? pow;
  return { metres: nice, px: (maxPx * nice) / metres, label: nice >= 1000 ? `${nice / 1000} 千米` : `${nice} 米` };
}

/** The map drawn for the paper: for a moment the map's container takes the aspect of the map's box on the sheet, at
 * the screen's centre and zoom and at least as large as the screen's view (so the sheet holds what the screen showed,
 * with more around it, and fills its box instead of leaving a band of white); it is rendered, read and put back.
 * Returns the PNG data URL, its size in CSS px (W × H) and the scale bar. */
async function captureMap(map, aspect) {
  const box = map.getContainer();
  const W0 = box.clientWidth;
  const H0 = box.clientHeight;
  let W = Math.max(W0, Math.round(H0 * aspect));
  let H = Math.round(W / aspect);
  const k = Math.min(1, 4096 / Math.max(W, H)); // a canvas WebGL draws everywhere
  W = Math.round(W * k);
  H = Math.round(H * k);
  const resized = W !== W0 || H !== H0;
  const saved = box.style.cssText;
  const view = { center: map.getCenter(), zoom: map.getZoom() };
  const idle = () => new Promise((r) => { map.once('idle', r); setTimeout(r, 20_000); });
  if (resized) {
    Object.assign(box.style, { width: `${W}px`, height: `${H}px`, right: 'auto', bottom: 'auto' });
    map.resize();
    map.jumpTo(view);
    await idle();
  }
  const src = await mapImage(map);
  const bar = scaleBar(map, 120);
  if (resized) {
    box.style.cssText = saved;
    map.resize();
    map.jumpTo(view);
  }
  return { src, W, H, bar };
}

function sources(map) {
  const s = Object.keys(map.getStyle().sources).map((id) => map.getSource(id)?.attribution).filter(Boolean);
  return [...new Set(s)].join('；');
}

const today = () => new Date().toLocaleDateString('zh-CN', { year: 'numeric', month: 'long', day: 'numeric' });


const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** The printed map: one SVG whose user space is the map's CSS pixels (viewBox W × H), holding the map image, the
 * scale bar and the north arrow. The sheet scales the SVG to fit the paper, and the bar scales with the image, so it
 * measures what it says at any screen size (a bar in page pixels beside a scaled image would not). Text sizes are in
 * the same space, set from the expected scale so that they print at about 9 pt. */
/** Page px (CSS, 96 per inch) per map px when a W × H map fits a box of bw × bh mm. */
const fitScale = ({ W, H }, [bw, bh]) => Math.min((bw * 96) / MM_PER_IN / W, (bh * 96) / MM_PER_IN / H);

function mapFrame({ src: img, W, H, bar }, title, box) {
  const s = fitScale({ W, H }, box);
  const u = (px) => px / s; // page px → SVG units
  const fs = u(12);
  const pad = u(6);
  const by = H - pad - u(4);
  const label = `比例尺 0 — ${bar.label}`;
  const labelW = fs * (label.length - 2) + u(10);
  const nw = u(22);
  const nx = W - pad - nw;
  return `<svg xmlns="http://www.w3.org/2000/svg" class="ps-frame" viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMidYMid meet" role="img" aria-label="${esc(title)}">`
    + `<image href="${img}" x="0" y="0" width="${W}" height="${H}" preserveAspectRatio="none"/>`
    + `<rect x="${pad - u(4)}" y="${by - fs - u(6)}" width="${bar.px + labelW + u(14)}" height="${fs + u(14)}" fill="#fff" fill-opacity="0.9"/>`
    + `<rect class="ps-bar" x="${pad}" y="${by - u(3)}" width="${bar.px}" height="${u(5)}" fill="#111" data-metres="${bar.metres}"/>`
    + `<text x="${pad + bar.px + u(6)}" y="${by + u(2)}" font-size="${fs}" font-family="'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif" fill="#111">${esc(label)}</text>`
    + `<g class="ps-north" transform="translate(${nx} ${pad}) scale(${nw / 40})"><rect x="-2" y="-2" width="44" height="62" fill="#fff" fill-opacity="0.85"/>`
    + '<path d="M20 2 L32 40 L20 32 L8 40 Z" fill="#222"/><path d="M20 2 L20 32 L8 40 Z" fill="#fff" stroke="#222" stroke-width="1.2"/>'
    + '<text x="20" y="54" text-anchor="middle" font-size="13" font-family="sans-serif" font-weight="700" fill="#111">北</text></g>'
    + `<rect x="0" y="0" width="${W}" height="${H}" fill="none" stroke="#333" stroke-width="${u(1)}"/></svg>`;
}

export function createPrint(map, panel, style, ctx) {
  const title = el('input', { type: 'text', id: 'print-title', value: '象山县养老服务设施分布图', 'aria-label': '图名' });
  const paper = el('select', { id: 'print-paper', 'aria-label': '纸张' }, el('option', { value: 'A4' }, 'A4'), el('option', { value: 'A3' }, 'A3'));
  const orient = el('select', { id: 'print-orientation', 'aria-label': '方向' }, el('option', { value: 'landscape' }, '横向'), el('option', { value: 'portrait' }, '纵向'));
  const status = el('p', { class: 'tool-result', 'aria-live': 'polite' });

  const opts = (o = {}) => ({ title: o.title ?? title.value, paper: o.paper ?? paper.value, orientation: o.orientation ?? orient.value });

  /** Builds the print sheet (#print-sheet) and the @page rule; resolves when the map image is in. */
  async function prepare(o) {
    const { title: t, paper: p, orientation } = opts(o);
    const [w, h] = orientation === 'landscape' ? PAPER[p] : [PAPER[p][1], PAPER[p][0]];
    const frame = await captureMap(map, MAP_BOX(w, h)[0] / MAP_BOX(w, h)[1]);
    const frameScale = fitScale(frame, MAP_BOX(w, h));
    document.querySelector('#print-page-style')?.remove();
    document.head.append(el('style', { id: 'print-page-style' }, `@page { size: ${p} ${orientation}; margin: 10mm; }`));
    document.querySelector('#print-sheet')?.remove();
    const model = legendModel(map, style, ctx);
    const sheet = el('div', { id: 'print-sheet', class: `print-sheet ${orientation}`, 'data-paper': p },
      el('h1', { class: 'ps-title' }, t),
      el('div', { class: 'ps-body' },
        el('div', { class: 'ps-map' }),
        el('aside', { class: 'ps-legend' }, el('h2', {}, '图例'), model.map((s) => el('section', {}, el('h3', {}, s.title),
          el('ul', {}, s.rows.map((r) => el('li', {},
            r.icon ? el('img', { src: iconURL(r.icon), alt: '', width: 14, height: 14 })
              // The size legend's circles at the printed map's scale, so that they match the circles on it.
              : r.radius !== undefined ? el('span', { class: 'ps-circle', style: { width: `${2 * r.radius * frameScale}px`, height: `${2 * r.radius * frameScale}px`, background: `${r.color}59`, borderColor: r.color } })
                : el('span', { class: 'ps-sw', style: { background: r.color } }),
            r.label))))))),
      el('footer', { class: 'ps-foot' }, el('span', {}, `制图日期：${today()}`), el('span', {}, `数据来源：${sources(map)}`),
        el('span', {}, `坐标系：CGCS2000（EPSG:4490），Web 墨卡托投影显示`)));
    sheet.querySelector('.ps-map').innerHTML = mapFrame(frame, t, MAP_BOX(w, h));
    // Custom properties need setProperty (Object.assign on style ignores them): the sheet fills the page inside 10 mm.
    sheet.style.setProperty('--sheet-w', `${w - 20}mm`);
    sheet.style.setProperty('--sheet-h', `${h - 20}mm`);
    document.body.append(sheet);
    await Promise.all([...sheet.querySelectorAll('img')].map((i) => (i.complete ? null : new Promise((r) => { i.onload = r; i.onerror = r; }))));
    await Object.assign(new Image(), { src: frame.src }).decode().catch(() => {}); // the SVG's map image, decoded before print
    return { sheet, scale: frame.bar, legend: model, frame: { W: frame.W, H: frame.H } };
  }

  async function pdf(o) {
    await prepare(o);
    window.print();
  }

  /** The sheet as a PNG (150 dpi), drawn on a canvas; returns the data URL and downloads it. */
  async function png(o, download = true) {
    const { title: t, paper: p, orientation } = opts(o);
    const [wmm, hmm] = orientation === 'landscape' ? PAPER[p] : [PAPER[p][1], PAPER[p][0]];
    const dpi = 150;
    const px = (mm) => Math.round((mm / MM_PER_IN) * dpi);
    const cv = el('canvas', { width: px(wmm), height: px(hmm) });
    const g = cv.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, cv.width, cv.height);
    const m = px(10);
    const font = (size, bold) => `${bold ? '700 ' : ''}${size}px 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif`;
    g.fillStyle = '#111';
    g.font = font(px(7), true);
    g.textBaseline = 'top';
    g.fillText(t, m, m);
    const top = m + px(11);
    const legendW = px(60);
    const mapW = cv.width - 2 * m - legendW - px(4);
    const mapH = cv.height - top - m - px(10);
    const frame = await captureMap(map, mapW / mapH);
    const im = await new Promise((r) => { const i = new Image(); i.onload = () => r(i); i.src = frame.src; });
    // In CSS px of the map (the image has devicePixelRatio times as many pixels), as the scale bar is.
    const s = Math.min(mapW / frame.W, mapH / frame.H);
    g.drawImage(im, m, top, frame.W * s, frame.H * s);
    g.strokeStyle = '#333';
    g.strokeRect(m, top, frame.W * s, frame.H * s);
    // Scale bar (in the image's scale) and north arrow.
    const { bar } = frame;
    const bx = m + px(4);
    const by = top + frame.H * s - px(8);
    g.fillStyle = '#fff';
    g.fillRect(bx - 4, by - px(4), bar.px * s + px(30), px(7));
    g.fillStyle = '#111';
    g.fillRect(bx, by, bar.px * s, 4);
    g.font = font(px(2.8));
    g.fillText(`0 — ${bar.label}`, bx + bar.px * s + 6, by - px(1.5));
    const nx = m + frame.W * s - px(10);
    const ny = top + px(4);
    g.beginPath(); g.moveTo(nx, ny); g.lineTo(nx + px(3), ny + px(9)); g.lineTo(nx, ny + px(7)); g.lineTo(nx - px(3), ny + px(9)); g.closePath(); g.fill();
    g.fillText('北', nx - px(1.4), ny + px(10));
    // Legend.
    let ly = top;
    const lx = cv.width - m - legendW;
    g.font = font(px(4), true);
    g.fillText('图例', lx, ly);
    ly += px(6);
    const icons = new Map();
    for (const sec of legendModel(map, style, ctx)) {
      g.font = font(px(3), true);
      g.fillText(sec.title, lx, ly);
      ly += px(4.5);
      g.font = font(px(2.8));
      for (const r of sec.rows) {
        if (r.radius !== undefined) {
          const rr = Math.max(1, r.radius * s);
          g.beginPath();
          g.arc(lx + px(1.75), ly + px(1), rr, 0, 2 * Math.PI);
          g.fillStyle = `${r.color}59`;
          g.fill();
          g.strokeStyle = r.color;
          g.stroke();
          g.fillStyle = '#111';
          g.fillText(r.label, lx + Math.max(px(5), px(1.75) + rr + px(1.5)), ly);
          ly += Math.max(px(4.2), 2 * rr + px(1.2));
          continue;
        }
        if (r.icon) {
          if (!icons.has(r.icon)) icons.set(r.icon, await new Promise((res) => { const i = new Image(); i.onload = () => res(i); i.onerror = () => res(null); i.src = iconURL(r.icon); }));
          const i = icons.get(r.icon);
          if (i) g.drawImage(i, lx, ly - 2, px(3.5), px(3.5));
        } else {
          g.fillStyle = r.color;
          g.fillRect(lx, ly - 1, px(3.5), px(3));
          g.fillStyle = '#111';
        }
        g.fillText(r.label, lx + px(5), ly);
        ly += px(4.2);
      }
      ly += px(2);
    }
    g.font = font(px(2.6));
    g.fillText(`制图日期：${today()}    数据来源：${sources(map)}    坐标系：CGCS2000（EPSG:4490）`, m, cv.height - m - px(3));
    const url = cv.toDataURL('image/png');
    if (download) {
      const a = el('a', { href: url, download: `${t}.png` });
      document.body.append(a);
      a.click();
      a.remove();
    }
    return url;
  }

  panel.append(el('div', { class: 'tool-row' }, el('label', {}, '图名 ', title)),
    el('div', { class: 'tool-row' }, paper, orient,
      el('button', { type: 'button', id: 'print-png', onclick: () => png().then(() => { status.textContent = '已导出 PNG'; }) }, '导出 PNG'),
      el('button', { type: 'button', id: 'print-pdf', onclick: () => pdf() }, '打印 / PDF')), status);
  window.addEventListener('afterprint', () => document.querySelector('#print-sheet')?.remove());
  return { prepare, pdf, png };
}
