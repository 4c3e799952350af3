// Unit tests of the editor's pure parts (no browser): history diffs and the workflow table.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { diffRows, readHistory, rebuild } from '../src/editor/diff.js';
import { movesFor } from '../src/editor/workflow.js';

const v1 = {
  type: 'Feature', id: 'p-1', geometry: { type: 'Point', coordinates: [121.87, 29.46] },
  properties: { id: 'p-1', name: '石浦港', category: 'port', status: 'current', version: 1, approval: { authority: '象山县人民政府' } },
};

describe('history diffs', () => {
  test('server patches (EDIT-API shape): old values rebuilt from the base version, newest first', () => {
    const data = {
      items: [
        { version: 3, actor: '李四', role: 'reviewer', action: 'update', reason: '移位', geometry_changed: true, moved_m: 12.34,
          patch: [{ op: 'replace', path: '/geometry', value: { type: 'Point', coordinates: [121.8701, 29.4601] } }, { op: 'replace', path: '/properties/version', value: 3 }] },
        { version: 1, actor: '张三', action: 'create', patch: [] },
        { version: 2, actor: '张三', action: 'update', reason: '更正',
          patch: [{ op: 'replace', path: '/properties/name', value: '石浦渔港' }, { op: 'add', path: '/properties/pinyin', value: 'Shípǔ Yúgǎng' },
            { op: 'replace', path: '/properties/approval/authority', value: '宁波市人民政府' }, { op: 'replace', path: '/properties/version', value: 2 }] },
      ],
      numberMatched: 3,
    };
    const h = readHistory(data);
    assert.deepEqual(h.items.map((i) => i.version), [3, 2, 1]);
    rebuild(h.items, { version: 1, doc: v1 });
    assert.deepEqual(diffRows(h.items[1]).map((r) => r.text), [
      '标准名称：石浦港 → 石浦渔港',
      '罗马字母拼写（拼音）：（空） → Shípǔ Yúgǎng',
      '批准信息 · 批准机关：象山县人民政府 → 宁波市人民政府',
    ]);
    assert.deepEqual(diffRows(h.items[0]).map((r) => r.text), ['位置移动 12.3 米']);
    assert.deepEqual(diffRows(h.items[2]), []);
  });

  test('whole versions (older API): patches and the moved distance computed here', () => {
    const v2 = structuredClone(v1);
    v2.properties.version = 2;
    v2.geometry.coordinates = [121.87, 29.4601]; // 0.0001° of latitude north: 11.1 m
    v2.properties.heritage = true;
    const h = readHistory({ type: 'FeatureCollection', features: [v1, v2] });
    rebuild(h.items, null);
    assert.equal(h.serverDiffs, false);
    assert.deepEqual(h.items.map((i) => [i.version, i.action]), [[2, 'update'], [1, 'create']]);
    assert.deepEqual(diffRows(h.items[0]).map((r) => r.text), ['位置移动 11.1 米', '地名文化遗产：（空） → 是']);
  });
});

describe('workflow buttons', () => {
  test('by status and role', () => {
    const names = (s, r) => movesFor(s, r).map((m) => m.label);
    assert.deepEqual(names('draft', 'editor'), ['提交']);
    assert.deepEqual(names('draft', 'viewer'), []);
    assert.deepEqual(names('submitted', 'editor'), []);
    assert.deepEqual(names('submitted', 'reviewer'), ['批准', '退回']);
    assert.deepEqual(names('submitted', 'admin'), ['批准', '退回']);
    assert.deepEqual(names('current', 'reviewer'), []);
    assert.deepEqual(names('draft', undefined), []);
  });
});
