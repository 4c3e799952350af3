package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"civmap/internal/apierr"
	"civmap/internal/edit"
)

// memTokens is an in-memory Store with the contract's behaviour (data/storetest checks the real ones).
type memTokens struct {
	mu sync.Mutex
	m  map[string]Token // by id
}

func newMemTokens() *memTokens { return &memTokens{m: map[string]Token{}} }

func (s *memTokens) CreateToken(_ context.Context, t Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.m {
		if x.Name == t.Name || x.ID == t.ID {
			return fmt.Errorf("token %q: %w", t.Name, apierr.ErrConflict)
		}
	}
	s.m[t.ID] = t
	return nil
}

func (s *memTokens) TokenByID(_ context.Context, id string) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	if !ok {
		return Token{}, apierr.ErrNotFound
	}
	return t, nil
}

func (s *memTokens) Tokens(context.Context) ([]Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Token
	for _, t := range s.m {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b Token) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *memTokens) RevokeToken(_ context.Context, name string, at time.Time) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.m {
		if t.Name == name {
			if t.RevokedAt.IsZero() {
				t.RevokedAt = at
				s.m[id] = t
			}
			return t, nil
		}
	}
	return Token{}, apierr.ErrNotFound
}

// memAudit is an in-memory edit.Store keeping only the audit log.
type memAudit struct {
	mu      sync.Mutex
	entries []edit.AuditEntry
}

func (s *memAudit) History(context.Context, edit.Kind, string) ([]edit.Version, error) {
	return nil, apierr.ErrNotFound
}

func (s *memAudit) AppendAudit(_ context.Context, e edit.AuditEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e.Seq = int64(len(s.entries) + 1)
	s.entries = append(s.entries, e)
	return nil
}

func (s *memAudit) Audit(_ context.Context, q edit.AuditQuery) (edit.AuditPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var match []edit.AuditEntry
	for _, e := range s.entries {
		if (q.Actor == "" || e.Actor == q.Actor) && (q.Target == "" || e.TargetID == q.Target) &&
			(q.Since.IsZero() || !e.Time.Before(q.Since)) && (q.Until.IsZero() || e.Time.Before(q.Until)) {
			match = append(match, e)
		}
	}
	page := match[min(q.Offset, len(match)):]
	if q.Limit > 0 && q.Limit < len(page) {
		page = page[:q.Limit]
	}
	return edit.AuditPage{Items: slices.Clone(page), NumberMatched: len(match)}, nil
}

func (s *memAudit) all() []edit.AuditEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries)
}
