package store_test

import (
	"context"
	"errors"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestLinkOIDC_OneAgentPerSubjectAtEachProvider(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := createAgent(t, st, "ann@example.com", "Ann", domain.RoleAgent, "")
		bob := createAgent(t, st, "bob@example.com", "Bob", domain.RoleAgent, "")
		if _, err := st.AgentByOIDC(ctx, "https://id.example", "s1"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("before linking: %v", err)
		}
		if iss, sub, err := st.AgentOIDC(ctx, ann.ID); err != nil || iss != "" || sub != "" {
			t.Fatalf("unlinked: %q %q %v", iss, sub, err)
		}
		if err := st.LinkOIDC(ctx, ann.ID, "https://id.example", "s1"); err != nil {
			t.Fatal(err)
		}
		a, err := st.AgentByOIDC(ctx, "https://id.example", "s1")
		if err != nil || a.ID != ann.ID || a.TeamIDs == nil {
			t.Fatalf("linked: %+v %v", a, err)
		}
		// The same subject at another provider is someone else.
		if _, err := st.AgentByOIDC(ctx, "https://other.example", "s1"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("other provider: %v", err)
		}
		if err := st.LinkOIDC(ctx, bob.ID, "https://other.example", "s1"); err != nil {
			t.Fatal(err)
		}
		if err := st.LinkOIDC(ctx, bob.ID, "https://id.example", "s1"); invalidCode(err) != "sso_subject_taken" {
			t.Fatalf("second agent for one subject: %v", err)
		}
		// An empty subject is never found, however many agents have it.
		if _, err := st.AgentByOIDC(ctx, "", ""); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("empty subject: %v", err)
		}
		if err := st.LinkOIDC(ctx, 999, "https://id.example", "s2"); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("missing agent: %v", err)
		}
	})
}
