// DOM helpers of the editor.

/** el('div', {class: 'x', onclick: f}, child…): an element with attributes, listeners and children. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'style') Object.assign(e.style, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'value') e.value = v;
    else if (k === 'checked') e.checked = !!v;
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** A modal <dialog> appended to the body; resolves with the value given to close(value), or null when cancelled. */
export function modal(className, build) {
  const dialog = el('dialog', { class: `ed-dialog ${className}` });
  document.body.append(dialog);
  return new Promise((resolve) => {
    let value = null;
    const close = (v) => {
      value = v ?? null;
      dialog.close();
    };
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(value);
    });
    dialog.append(...[build(close)].flat());
    dialog.showModal();
  });
}

/** A time in RFC 3339 as local 年-月-日 时:分:秒. */
export function localTime(s) {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s ?? '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
