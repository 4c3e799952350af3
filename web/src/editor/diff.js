// History and its diffs. The server (EDIT-API.md) answers GET /api/places/{id}/history as
// {"items":[{version,time,actor,role,action,reason,patch,geometry_changed,moved_m}…]} newest first, each patch an
// RFC 6902 JSON Patch from the previous version's document to this one. A server without diffs (the older API: a
// FeatureCollection of whole versions, oldest first) is read too: the patches are then computed here.
// Old values come from the previous version's document, rebuilt by applying the patches in order (fast-json-patch).
// index.mjs: the package's ES module build (its package.json has no "exports"; Node would load the CommonJS one).
import { applyPatch, compare, getValueByPointer } from 'fast-json-patch/index.mjs';

import { ACTION_LABELS, GEOMETRY_LABELS, fieldLabel } from './labels.js';

/** Members every version changes by itself; the history does not list them. */
const BOOKKEEPING = new Set(['/properties/version', '/properties/updated_at', '/properties/created_at', '/id']);

/** Distance in metres between two lon/lat points (haversine on a sphere of radius 6371008.8 m). */
export function metres([lon1, lat1], [lon2, lat2]) {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** An RFC 6902 patch from document a to document b, geometry as one replace op (as the server reports it). */
export function docPatch(a, b) {
  const ops = [];
  if (JSON.stringify(a?.geometry ?? null) !== JSON.stringify(b?.geometry ?? null)) ops.push({ op: 'replace', path: '/geometry', value: clone(b?.geometry ?? null) });
  for (const op of compare({ properties: a?.properties ?? {} }, { properties: b?.properties ?? {} })) ops.push(op);
  return ops;
}

/** The distance a point moved between two geometries, in metres, or null when either is not a Point. */
export function movedMetres(a, b) {
  if (a?.type !== 'Point' || b?.type !== 'Point') return null;
  return metres(a.coordinates, b.coordinates);
}

/**
 * The history answer as items newest first: {version, time, actor, role, action, reason, patch, geometry_changed,
 * moved_m, doc?}. serverDiffs tells whether the server gave the patches (false: computed from whole versions).
 */
export function readHistory(data) {
  if (Array.isArray(data?.items)) {
    const items = data.items.map((it) => ({ ...it, patch: Array.isArray(it.patch) ? it.patch : [] }));
    items.sort((a, b) => b.version - a.version);
    return { items, serverDiffs: true, total: data.numberMatched ?? items.length };
  }
  const feats = (data?.features ?? []).slice().sort((a, b) => (a.properties?.version ?? 0) - (b.properties?.version ?? 0));
  const items = feats.map((f, i) => {
    const prev = feats[i - 1];
    const p = f.properties ?? {};
    const patch = prev ? docPatch(prev, f) : [];
    const geometryChanged = !!prev && patch.some((op) => op.path === '/geometry');
    return {
      version: p.version,
      time: p.updated_at ?? p.created_at ?? '',
      actor: p.actor ?? '',
      role: '',
      action: i === 0 ? 'create' : 'update',
      reason: p.reason ?? '',
      patch,
      geometry_changed: geometryChanged,
      moved_m: geometryChanged ? movedMetres(prev.geometry, f.geometry) : null,
      doc: f,
    };
  });
  items.reverse();
  return { items, serverDiffs: false, total: data?.numberMatched ?? items.length };
}

/**
 * Fills in each item's prev (the previous version's document). Items read from whole versions carry doc already; for
 * the others the patches are applied oldest first from base ({version, doc}: a version fetched whole, at most the
 * oldest item's version). An item whose previous version cannot be rebuilt keeps prev undefined.
 */
export function rebuild(items, base) {
  const oldestFirst = items.slice().sort((a, b) => a.version - b.version);
  let doc = base?.doc ? clone(base.doc) : null;
  let at = base?.doc ? base.version : null;
  for (const it of oldestFirst) {
    if (it.doc) {
      if (doc && at === it.version - 1) it.prev = clone(doc);
      doc = clone(it.doc);
      at = it.version;
    } else if (doc && at === it.version) {
      // the base itself
    } else if (doc && at === it.version - 1) {
      it.prev = clone(doc);
      try {
        doc = applyPatch(clone(doc), clone(it.patch), false, true).newDocument;
        at = it.version;
      } catch {
        doc = null;
      }
    } else {
      doc = null;
    }
  }
  return items;
}

const valueText = (v) => {
  if (v === undefined || v === null || v === '') return '（空）';
  if (typeof v === 'boolean') return v ? '是' : '否';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join('、');
  return JSON.stringify(v);
};

const prettyMetres = (m) => (m >= 1000 ? `${(m / 1000).toFixed(2)} 千米` : `${m.toFixed(1)} 米`);

/**
 * The rows the history panel shows for one version: {field, label, old, new, text}. Geometry reads "位置移动 12.3 米"
 * (points) or "几何形状已修改"; the bookkeeping members (version, updated_at) are left out.
 */
export function diffRows(item) {
  const rows = [];
  for (const op of item.patch ?? []) {
    if (BOOKKEEPING.has(op.path) || op.op === 'test') continue;
    if (op.path === '/geometry' || op.path.startsWith('/geometry/')) {
      if (rows.some((r) => r.field === 'geometry')) continue;
      let moved = typeof item.moved_m === 'number' ? item.moved_m : null;
      if (moved === null && item.prev?.geometry && op.path === '/geometry') moved = movedMetres(item.prev.geometry, op.value);
      const oldType = item.prev?.geometry?.type;
      const newType = op.path === '/geometry' ? op.value?.type : oldType;
      let text;
      if (moved !== null) text = `位置移动 ${prettyMetres(moved)}`;
      else if (oldType && newType && oldType !== newType) text = `几何由${GEOMETRY_LABELS[oldType] ?? oldType}改为${GEOMETRY_LABELS[newType] ?? newType}`;
      else text = '几何形状已修改';
      rows.push({ field: 'geometry', label: '位置', old: '', new: '', text });
      continue;
    }
    const label = fieldLabel(op.path);
    let old;
    if (item.prev) {
      try {
        old = getValueByPointer(item.prev, op.path);
      } catch {
        old = undefined;
      }
    }
    const from = op.op === 'add' && old === undefined ? '（空）' : item.prev ? valueText(old) : '…';
    const to = op.op === 'remove' ? '（删除）' : op.op === 'move' || op.op === 'copy' ? `（自 ${fieldLabel(op.from)}）` : valueText(op.value);
    rows.push({ field: op.path.replace(/^\/properties\//, ''), label, old: from, new: to, text: `${label}：${from} → ${to}` });
  }
  return rows;
}

export const actionLabel = (a) => ACTION_LABELS[a] ?? a ?? '';
