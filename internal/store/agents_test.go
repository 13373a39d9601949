package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func createAgent(t *testing.T, st *store.Store, email, name string, role domain.Role, hash string) *domain.Agent {
	t.Helper()
	a := &domain.Agent{Email: email, Name: name, Role: role}
	if err := st.CreateAgent(context.Background(), a, hash); err != nil {
		t.Fatal(err)
	}
	return a
}

func createTeam(t *testing.T, st *store.Store, name string) *domain.Team {
	t.Helper()
	team := &domain.Team{Name: name}
	if err := st.CreateTeam(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	return team
}

func invalidCode(err error) string {
	var e *domain.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestCreateAgent_StoresTheAgentOnceAndSignsInByEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "hash-1")
		if bo.ID == 0 || bo.CreatedAt == 0 || bo.Language != "en" {
			t.Errorf("created %+v, want an id, a creation time and language en", bo)
		}
		if err := st.CreateAgent(ctx, &domain.Agent{Email: "bo@example.com", Name: "Other Bo", Role: domain.RoleAgent}, "h"); invalidCode(err) != "email_taken" {
			t.Errorf("a second agent with the same e-mail gave %v, want email_taken", err)
		}
		got, hash, err := st.AgentLogin(ctx, "BO@example.com")
		if err != nil || got.ID != bo.ID || hash != "hash-1" || got.Role != domain.RoleAgent {
			t.Errorf("AgentLogin = %+v, %q, %v; want agent %d with its hash", got, hash, err, bo.ID)
		}
		if _, _, err := st.AgentLogin(ctx, "nobody@example.com"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an unknown e-mail gave %v, want ErrNotFound", err)
		}
		if _, err := st.Agent(ctx, bo.ID+100); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an unknown id gave %v, want ErrNotFound", err)
		}
		if n, err := st.CountAgents(ctx); err != nil || n != 1 {
			t.Errorf("CountAgents = %d, %v; want 1", n, err)
		}
	})
}

func TestUpdateAgent_SavesProfileAndRoutingAndKeepsThePasswordUnlessGiven(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "hash-1")
		bo.Name, bo.Role, bo.Language, bo.Disabled = "Bo B.", domain.RoleSupervisor, "nl", true
		bo.Skills = []string{"nl", "billing"}
		bo.Capacity = &domain.Capacity{Budget: 6, Costs: map[string]int{"webchat": 2}, Other: 1}
		if err := st.UpdateAgent(ctx, bo, ""); err != nil {
			t.Fatal(err)
		}
		got, hash, err := st.AgentLogin(ctx, "bo@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Bo B." || got.Role != domain.RoleSupervisor || got.Language != "nl" || !got.Disabled ||
			!slices.Equal(got.Skills, bo.Skills) || got.Capacity == nil || got.Capacity.Budget != 6 ||
			got.Capacity.Costs["webchat"] != 2 || got.Capacity.Other != 1 {
			t.Errorf("read back %+v, want %+v", got, bo)
		}
		if hash != "hash-1" {
			t.Errorf("an empty password hash replaced the stored one with %q", hash)
		}
		bo.Capacity = nil
		if err := st.UpdateAgent(ctx, bo, "hash-2"); err != nil {
			t.Fatal(err)
		}
		got, hash, _ = st.AgentLogin(ctx, "bo@example.com")
		if hash != "hash-2" || got.Capacity != nil {
			t.Errorf("after the second update: hash %q, capacity %+v; want hash-2 and the team's capacity (nil)", hash, got.Capacity)
		}
		missing := *bo
		missing.ID += 100
		if err := st.UpdateAgent(ctx, &missing, ""); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("updating a missing agent gave %v, want ErrNotFound", err)
		}
	})
}

func TestSetAgentTeams_ReplacesMembershipSeenFromAgentAndTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		support, billing := createTeam(t, st, "Support"), createTeam(t, st, "Billing")
		ada := createAgent(t, st, "ada@example.com", "Ada", domain.RoleAdmin, "h")
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "h")
		if err := st.SetAgentTeams(ctx, bo.ID, []int64{support.ID, billing.ID, support.ID}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetAgentTeams(ctx, ada.ID, []int64{support.ID}); err != nil {
			t.Fatal(err)
		}
		got, err := st.Agent(ctx, bo.ID)
		if err != nil || !slices.Equal(got.TeamIDs, []int64{support.ID, billing.ID}) {
			t.Errorf("bo's teams = %v, %v; want [%d %d]", got.TeamIDs, err, support.ID, billing.ID)
		}
		team, err := st.Team(ctx, support.ID)
		if err != nil || !slices.Equal(team.AgentIDs, []int64{ada.ID, bo.ID}) {
			t.Errorf("support's agents = %v, %v; want [%d %d]", team.AgentIDs, err, ada.ID, bo.ID)
		}
		if err := st.SetAgentTeams(ctx, bo.ID, []int64{billing.ID}); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Agent(ctx, bo.ID); !slices.Equal(got.TeamIDs, []int64{billing.ID}) {
			t.Errorf("bo's teams after replacing = %v, want [%d]", got.TeamIDs, billing.ID)
		}
		if err := st.SetAgentTeams(ctx, bo.ID, []int64{billing.ID + 100}); invalidCode(err) != "unknown_team" {
			t.Errorf("an unknown team gave %v, want unknown_team", err)
		}
		agents, err := st.Agents(ctx)
		if err != nil || len(agents) != 2 || agents[0].ID != ada.ID || agents[1].ID != bo.ID || len(agents[0].TeamIDs) != 1 {
			t.Errorf("Agents = %+v, %v; want Ada then Bo (by name) with their teams", agents, err)
		}
	})
}

func TestCreateTeam_KeepsNamesUniqueAndRoutingSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		support := createTeam(t, st, "Support")
		if support.Mode != domain.ModeManual || support.CreatedAt == 0 {
			t.Errorf("created %+v, want manual mode and a creation time", support)
		}
		if err := st.CreateTeam(ctx, &domain.Team{Name: "Support"}); invalidCode(err) != "name_taken" {
			t.Errorf("a second team named Support gave %v, want name_taken", err)
		}
		billing := createTeam(t, st, "Billing")
		support.Name, support.Mode, support.ReassignAfter = "Customer care", domain.ModeMostFree, 300
		support.Capacity = &domain.Capacity{Budget: 4, Other: 1}
		if err := st.UpdateTeam(ctx, support); err != nil {
			t.Fatal(err)
		}
		got, err := st.Team(ctx, support.ID)
		if err != nil || got.Name != "Customer care" || got.Mode != domain.ModeMostFree || got.ReassignAfter != 300 ||
			got.Capacity == nil || got.Capacity.Budget != 4 || len(got.AgentIDs) != 0 || got.AgentIDs == nil {
			t.Errorf("read back %+v, %v; want the updated team with no agents", got, err)
		}
		billing.Name = "Customer care"
		if err := st.UpdateTeam(ctx, billing); invalidCode(err) != "name_taken" {
			t.Errorf("renaming to a taken name gave %v, want name_taken", err)
		}
		if _, err := st.Team(ctx, billing.ID+100); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an unknown team gave %v, want ErrNotFound", err)
		}
		missing := *billing
		missing.ID, missing.Name = billing.ID+100, "Nobody"
		if err := st.UpdateTeam(ctx, &missing); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("updating a missing team gave %v, want ErrNotFound", err)
		}
		teams, err := st.Teams(ctx)
		if err != nil || len(teams) != 2 || teams[0].ID != billing.ID || teams[1].ID != support.ID {
			t.Errorf("Teams = %+v, %v; want Billing then Customer care (by name)", teams, err)
		}
	})
}

func TestSetPresence_KeepsTheTimeOfAnUnchangedPresenceAndTracksWhoSetIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "h")
		steps := []struct {
			presence string
			auto     bool
			at, want int64
		}{
			{domain.PresenceOnline, false, 1000, 1000},
			{domain.PresenceOnline, false, 2000, 1000}, // unchanged: since 1000
			{domain.PresenceAway, true, 3000, 3000},
			{domain.PresenceOnline, false, 4000, 4000},
		}
		for _, s := range steps {
			at, err := st.SetPresence(ctx, bo.ID, s.presence, s.auto, s.at)
			if err != nil || at != s.want {
				t.Errorf("SetPresence(%s at %d) = %d, %v; want %d", s.presence, s.at, at, err, s.want)
			}
			got, _ := st.Agent(ctx, bo.ID)
			if got.Presence != s.presence || got.PresenceAuto != s.auto || got.PresenceAt != s.want {
				t.Errorf("after %s at %d: %+v", s.presence, s.at, got.Routing)
			}
		}
		if _, err := st.SetPresence(ctx, bo.ID+100, domain.PresenceOnline, false, 1); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an unknown agent gave %v, want ErrNotFound", err)
		}
	})
}

func TestUnseenOnline_ListsOnlineAgentsWhoseAppIsGone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ada := createAgent(t, st, "ada@example.com", "Ada", domain.RoleAgent, "h")
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "h")
		cy := createAgent(t, st, "cy@example.com", "Cy", domain.RoleAgent, "h")
		dee := createAgent(t, st, "dee@example.com", "Dee", domain.RoleAgent, "h")
		for _, a := range []*domain.Agent{ada, bo, dee} {
			if _, err := st.SetPresence(ctx, a.ID, domain.PresenceOnline, false, 1000); err != nil { // choosing counts as seen
				t.Fatal(err)
			}
		}
		if _, err := st.SetPresence(ctx, cy.ID, domain.PresenceAway, false, 1000); err != nil {
			t.Fatal(err)
		}
		dee.Disabled = true
		if err := st.UpdateAgent(ctx, dee, ""); err != nil {
			t.Fatal(err)
		}
		if err := st.TouchAgents(ctx, []int64{bo.ID}, 5000); err != nil {
			t.Fatal(err)
		}
		if err := st.TouchAgents(ctx, nil, 5000); err != nil {
			t.Errorf("touching nobody: %v", err)
		}
		got, err := st.UnseenOnline(ctx, 3000)
		if err != nil || !slices.Equal(got, []int64{ada.ID}) {
			t.Errorf("UnseenOnline(3000) = %v, %v; want only Ada (%d): Bo was seen, Cy is away, Dee disabled", got, err, ada.ID)
		}
		if got, _ := st.UnseenOnline(ctx, 1000); len(got) != 0 {
			t.Errorf("UnseenOnline(1000) = %v, want nobody", got)
		}
	})
}

func TestSessions_LastUntilTheyExpireOrAreDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "h")
		future, past := store.Now()+3600_000, store.Now()-1
		for hash, expires := range map[string]int64{"s-phone": future, "s-laptop": future, "s-old": past} {
			if _, err := st.CreateSession(ctx, store.NewSession{TokenHash: hash, AgentID: bo.ID, ExpiresAt: expires}); err != nil {
				t.Fatal(err)
			}
		}
		alive := func(hash string) bool {
			a, _, err := st.SessionAgent(ctx, hash)
			if err != nil && !errors.Is(err, domain.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil && a.ID == bo.ID
		}
		if !alive("s-phone") || !alive("s-laptop") || alive("s-old") || alive("s-unknown") {
			t.Error("want the two unexpired sessions only")
		}
		if err := st.DeleteSession(ctx, "s-phone"); err != nil {
			t.Fatal(err)
		}
		if alive("s-phone") || !alive("s-laptop") {
			t.Error("DeleteSession ended the wrong session")
		}
		if _, err := st.CreateSession(ctx, store.NewSession{TokenHash: "s-tablet", AgentID: bo.ID, ExpiresAt: future}); err != nil {
			t.Fatal(err)
		}
		if n, err := st.DeleteAgentSessions(ctx, bo.ID, "s-tablet"); err != nil || n != 2 {
			t.Fatalf("DeleteAgentSessions = %d, %v; want the laptop and the expired one ended", n, err)
		}
		if alive("s-laptop") || !alive("s-tablet") {
			t.Error("DeleteAgentSessions must end every session but the kept one")
		}
	})
}

func TestCreateAPIToken_IsFoundByItsHashOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		tok := &store.APIToken{Name: "shop", Role: domain.RoleAgent}
		if err := st.CreateAPIToken(ctx, tok, "hash-of-token"); err != nil {
			t.Fatal(err)
		}
		got, err := st.APITokenByHash(ctx, "hash-of-token")
		if err != nil || got.ID != tok.ID || got.Name != "shop" || got.Role != domain.RoleAgent || got.CreatedAt != tok.CreatedAt {
			t.Errorf("APITokenByHash = %+v, %v; want %+v", got, err, tok)
		}
		if _, err := st.APITokenByHash(ctx, "another-hash"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("an unknown hash gave %v, want ErrNotFound", err)
		}
	})
}
