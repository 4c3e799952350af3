// DOM helpers of the editor; el is shared with the map (../dom.js).
import { el } from '../dom.js';

export { el };

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
