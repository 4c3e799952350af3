// The place workflow as the editor shows it (EDIT-API.md "Places workflow"): which moves a status allows and which
// role each needs. The server decides (409 for a move not in its table, 403 for a role without the right); the
// editor only hides the buttons that would be refused.

/** Whether a holder of role have may act where need is required (internal/edit Role.Allows): admin may do everything,
 * a reviewer what an editor may, every role what a viewer may, and otherwise only the role itself. */
export function allows(have, need) {
  if (!have) return false;
  if (have === need || have === 'admin') return true;
  if (need === 'viewer') return true;
  return have === 'reviewer' && need === 'editor';
}

/** The moves from each status: action (the path segment after /api/places/{id}/), button label and role. */
export const MOVES = {
  draft: [{ action: 'submit', label: '提交', role: 'editor' }],
  submitted: [
    { action: 'approve', label: '批准', role: 'reviewer', form: 'approve' },
    { action: 'reject', label: '退回', role: 'reviewer', form: 'reject' },
  ],
};

/** The moves a holder of role may make on a place in status. */
export const movesFor = (status, role) => (MOVES[status] ?? []).filter((m) => allows(role, m.role));

/** The approval form's fields (body members of POST …/approve), in order. */
export const APPROVAL_FIELDS = [
  { name: 'authority', label: '批准机关', type: 'text' },
  { name: 'document_no', label: '批准文号', type: 'text' },
  { name: 'approved_on', label: '批准日期', type: 'date' },
  { name: 'announced_on', label: '公告日期', type: 'date' },
  { name: 'filed_on', label: '备案日期', type: 'date' },
];
