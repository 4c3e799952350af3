package main

import (
	"context"
	"log/slog"

	"civmap/data"
	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// auditLog is the store's audit log (edit.Store). Until both stores keep one (branch versions), a store without it gets
// a stand-in that writes each entry to the log and lists none, so that refused attempts are at least on record.
// TODO(merge): once data.Store embeds edit.Store, pass st itself.
func auditLog(st data.Store, log *slog.Logger) edit.Store {
	if a, ok := any(st).(edit.Store); ok {
		return a
	}
	log.Warn("this store keeps no audit log yet: refused attempts go to the server log only")
	return logAudit{log}
}

type logAudit struct{ log *slog.Logger }

func (l logAudit) History(context.Context, edit.Kind, string) ([]edit.Version, error) {
	return nil, apierr.ErrNotFound
}

func (l logAudit) AppendAudit(ctx context.Context, e edit.AuditEntry) error {
	l.log.WarnContext(ctx, "audit", "outcome", e.Outcome, "status", e.Status, "actor", e.Actor, "role", e.Role,
		"action", e.Action, "kind", e.Kind, "id", e.TargetID, "request_id", e.RequestID, "client", e.ClientAddr,
		"message", e.Message)
	return nil
}

func (l logAudit) Audit(context.Context, edit.AuditQuery) (edit.AuditPage, error) {
	return edit.AuditPage{}, nil
}
