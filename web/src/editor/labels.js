// Chinese labels of the editor: place fields, statuses, roles, history actions, and the server's field errors.

/** Place fields (the JSON members of a place record, EDIT-API.md / gazetteer.Place). */
export const PLACE_FIELDS = {
  id: '编号',
  name: '标准名称',
  specific: '专名',
  generic: '通名',
  short_name: '简称',
  aliases: '别名',
  pinyin: '罗马字母拼写（拼音）',
  category: '类别',
  status: '状态',
  division_codes: '所在行政区划',
  meaning: '地名含义',
  history: '历史沿革',
  description: '地理实体概况',
  former_names: '曾用名',
  date_named: '命名日期',
  year_established: '设立年份',
  year_abolished: '废止年份',
  heritage: '地名文化遗产',
  source: '资料来源',
  registrant: '登记人',
  approval: '批准信息',
  attributes: '其他属性',
  geometry: '位置',
  version: '版本',
  created_at: '创建时间',
  updated_at: '修改时间',
  // approval members and former-name members
  authority: '批准机关',
  document_no: '批准文号',
  approved_on: '批准日期',
  announced_on: '公告日期',
  filed_on: '备案日期',
  from: '起',
  to: '止',
  citation: '出处',
  reason: '原因',
  protection_measure: '保护措施',
  justification: '理由',
};

export const STATUS_LABELS = {
  draft: '草稿',
  submitted: '已提交待审',
  current: '现行（已批准）',
  historical: '历史地名',
  abolished: '已废止',
};

export const ROLE_LABELS = {
  viewer: '查看员',
  editor: '编辑员',
  reviewer: '审核员',
  inspector: '界线巡查员',
  planner: '规划员',
  admin: '管理员',
};

export const ACTION_LABELS = {
  create: '新建',
  update: '修改',
  replace: '修改',
  patch: '修改',
  submit: '提交',
  approve: '批准',
  reject: '退回',
  restore: '恢复',
  historical: '转为历史地名',
  abolish: '废止',
  delete: '废止',
  import: '导入',
};

export const GEOMETRY_LABELS = { Point: '点', LineString: '线', Polygon: '面', MultiPoint: '多点', MultiLineString: '多线', MultiPolygon: '多面' };

/** The label of a JSON Pointer into a place document ("/properties/approval/authority" → "批准信息 · 批准机关"). */
export function fieldLabel(pointer) {
  const parts = String(pointer).split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts[0] === 'properties') parts.shift();
  if (parts.length === 0) return '整条记录';
  return parts.map((p) => (/^\d+$/.test(p) ? `第 ${Number(p) + 1} 项` : PLACE_FIELDS[p] ?? p)).join(' · ');
}

/** A field error of the server (EDIT-API: {field, reason}) in Chinese, keeping the server's words after it. */
export function fieldErrorText(err) {
  const reason = String(err?.reason ?? '');
  let zh;
  if (/needs role reviewer/i.test(reason)) zh = '已发布地名的更名和地名文化遗产标记须由审核员办理';
  else if (/server's/i.test(reason)) zh = '由系统根据批准和更名记录，不能直接修改';
  else if (/in the future/i.test(reason)) zh = '日期不能晚于今天（北京时间）';
  else if (/before the approval/i.test(reason)) zh = '公告、备案日期不能早于批准日期';
  else if (/required|missing|is empty|must not be empty|needs/i.test(reason)) zh = '此项必填';
  else if (/date|ISO|YYYY/i.test(reason)) zh = '日期格式不正确（应为 YYYY-MM-DD）';
  else if (/longer than|too long|characters/i.test(reason)) zh = '内容过长';
  else if (/unknown|not a|invalid|malformed/i.test(reason)) zh = '取值无效';
  else zh = '不符合要求';
  return reason ? `${zh}（${reason}）` : zh;
}

/** The member name a field error is about: "approval.document_no", "/document_no" and "document_no" → "document_no". */
export const errorField = (err) => String(err?.field ?? '').split(/[./]/).filter(Boolean).pop() ?? '';

/** A Chinese sentence for an HTTP error of the API (ApiError). */
export function problemText(err) {
  const named = new Set((err?.errors ?? []).map(errorField));
  if (err?.status === 422 && named.has('authority') && named.has('document_no') && !named.has('reason')) {
    // a published place's rename without its approving document (README "Versions, history and the place workflow")
    return '已发布地名的更名须附批准文件（批准机关、批准文号、批准日期、公告日期、备案日期），请随更名一并提交。';
  }
  switch (err?.status) {
    case 400: return `请求有误：${err.detail}`;
    case 401: return '需要登录，或令牌无效、已吊销。请重新登录。';
    case 403: return '当前账号的角色无权进行此操作。';
    case 404: return '记录不存在，或当前账号无权查看。';
    case 409: return `当前状态不允许此操作：${err.detail}`;
    case 412: return '记录已被他人修改。';
    case 413: return '提交的内容过大。';
    case 422: return '内容未通过校验，请检查标出的字段。';
    case 428: return '缺少版本信息（If-Match），请重新加载记录。';
    default:
      if (err?.status >= 500) return `服务器错误（HTTP ${err.status}）：${err.detail}`;
      return `操作失败：${err?.message ?? err}`;
  }
}
