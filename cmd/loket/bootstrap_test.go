package main

import (
	"context"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestBootstrap_FirstAdminStartsOnline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := bootstrap(ctx, st, &config{AdminEmail: "admin@example.com", AdminPass: "a long password 1"}); err != nil {
			t.Fatal(err)
		}
		agents, err := st.Agents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(agents) != 1 || agents[0].Presence != domain.PresenceOnline {
			t.Fatalf("agents after first start: %+v; want one admin, online", agents)
		}
	})
}

func TestBootstrap_AWeakAdminPasswordIsRefused(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	for _, pw := range []string{"short", "password12345", "admin@example.com"} {
		if _, err := bootstrap(ctx, st, &config{AdminEmail: "admin@example.com", AdminPass: pw}); err == nil {
			t.Errorf("LOKET_ADMIN_PASSWORD %q was accepted", pw)
		}
	}
	if n, _ := st.CountAgents(ctx); n != 0 {
		t.Fatalf("%d agents after refused passwords, want none", n)
	}
}
