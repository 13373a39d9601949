package store_test

import (
	"context"
	"errors"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestSessions_AreListedByPublicIDAndEndedOneByOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "h")
		ann := createAgent(t, st, "ann@example.com", "Ann", domain.RoleAgent, "h")
		future := store.Now() + 3600_000
		phone, err := st.CreateSession(ctx, store.NewSession{TokenHash: "s-phone", AgentID: bo.ID, ExpiresAt: future, IP: "192.0.2.1", UserAgent: "Phone"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateSession(ctx, store.NewSession{TokenHash: "s-laptop", AgentID: bo.ID, ExpiresAt: future, IP: "192.0.2.2", UserAgent: "Laptop"}); err != nil {
			t.Fatal(err)
		}
		if err := st.TouchSession(ctx, "s-phone", future-1000, "192.0.2.9"); err != nil {
			t.Fatal(err)
		}
		list, err := st.Sessions(ctx, bo.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != phone || list[0].IP != "192.0.2.9" || list[0].UserAgent != "Phone" || list[1].UserAgent != "Laptop" {
			t.Fatalf("sessions = %+v, want the phone (seen last) then the laptop", list)
		}
		// Another agent's session cannot be ended by naming its id.
		if err := st.DeleteAgentSession(ctx, ann.ID, phone); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("deleting another agent's session: %v, want not found", err)
		}
		if err := st.DeleteAgentSession(ctx, bo.ID, phone); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.SessionAgent(ctx, "s-phone"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("ended session still signs in: %v", err)
		}
	})
}

func TestTOTP_SecretIsKeptUntilDisabledAndEachStepCountsOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "h")
		if err := st.SetTOTPSecret(ctx, bo.ID, "JBSWY3DPEHPK3PXP"); err != nil {
			t.Fatal(err)
		}
		tt, err := st.AgentTOTP(ctx, bo.ID)
		if err != nil || tt.Secret != "JBSWY3DPEHPK3PXP" || tt.Enabled {
			t.Fatalf("AgentTOTP = %+v, %v", tt, err)
		}
		if err := st.EnableTOTP(ctx, bo.ID, []string{"h1", "h2"}); err != nil {
			t.Fatal(err)
		}
		if a, _ := st.Agent(ctx, bo.ID); !a.TwoFactor {
			t.Error("agent does not show two-factor sign-in on")
		}
		if err := st.SetTOTPSecret(ctx, bo.ID, "OTHER"); err == nil {
			t.Error("a new secret replaced the one in use")
		}
		for _, c := range []struct {
			step int64
			ok   bool
		}{{100, true}, {100, false}, {99, false}, {101, true}} {
			if ok, err := st.UseTOTPStep(ctx, bo.ID, c.step); err != nil || ok != c.ok {
				t.Errorf("UseTOTPStep(%d) = %v, %v; want %v", c.step, ok, err, c.ok)
			}
		}
		for _, c := range []struct {
			hash string
			ok   bool
		}{{"h1", true}, {"h1", false}, {"nope", false}} {
			if ok, err := st.UseRecoveryCode(ctx, bo.ID, c.hash, 1); err != nil || ok != c.ok {
				t.Errorf("UseRecoveryCode(%s) = %v, %v; want %v", c.hash, ok, err, c.ok)
			}
		}
		if n, _ := st.RecoveryCodesLeft(ctx, bo.ID); n != 1 {
			t.Errorf("%d recovery codes left, want 1", n)
		}
		if err := st.DisableTOTP(ctx, bo.ID); err != nil {
			t.Fatal(err)
		}
		if tt, _ := st.AgentTOTP(ctx, bo.ID); tt.Secret != "" || tt.Enabled {
			t.Errorf("after disabling: %+v", tt)
		}
		if n, _ := st.RecoveryCodesLeft(ctx, bo.ID); n != 0 {
			t.Errorf("%d recovery codes left after disabling", n)
		}
	})
}

func TestRecordFailedSignIn_LocksAfterTheRulesFailuresAndLongerEachTime(t *testing.T) {
	rule := store.Lockout{Failures: 3, Window: 60_000, Lock: 1000, MaxLock: 3000}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bo := createAgent(t, st, "bo@example.com", "Bo", domain.RoleAgent, "h")
		fail := func(at int64) int64 {
			t.Helper()
			until, err := st.RecordFailedSignIn(ctx, bo.ID, "192.0.2.1", at, rule)
			if err != nil {
				t.Fatal(err)
			}
			return until
		}
		// Failures further apart than the window never add up.
		for i := range int64(4) {
			if u := fail(i * 60_000); u != 0 {
				t.Fatalf("locked at %d by failures a window apart", u)
			}
		}
		base := int64(1_000_000)
		fail(base)
		fail(base + 1)
		if u := fail(base + 2); u != base+2+1000 {
			t.Fatalf("third failure in the window: locked until %d, want %d", u, base+2+1000)
		}
		if got, _ := st.LockedUntil(ctx, bo.ID); got != base+2+1000 {
			t.Errorf("LockedUntil = %d", got)
		}
		// The next lock lasts twice as long, the one after at most MaxLock.
		fail(base + 10)
		fail(base + 11)
		if u := fail(base + 12); u != base+12+2000 {
			t.Errorf("second lock until %d, want %d", u, base+12+2000)
		}
		fail(base + 20)
		fail(base + 21)
		if u := fail(base + 22); u != base+22+3000 {
			t.Errorf("third lock until %d, want %d (the maximum)", u, base+22+3000)
		}
		// A successful sign-in starts the count afresh.
		if _, err := st.TakeSignInFailures(ctx, bo.ID); err != nil {
			t.Fatal(err)
		}
		fail(base + 30)
		fail(base + 31)
		if u := fail(base + 32); u != base+32+1000 {
			t.Errorf("after a success the lock is %d long, want the first length", u-base-32)
		}
	})
}

func TestSettings_AreSavedAndReplaced(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if v, err := st.Setting(ctx, "two_factor"); err != nil || v != "" {
			t.Fatalf("unset setting = %q, %v", v, err)
		}
		for _, v := range []string{`["admin"]`, `["admin","agent"]`} {
			if err := st.SetSetting(ctx, "two_factor", v); err != nil {
				t.Fatal(err)
			}
			if got, _ := st.Setting(ctx, "two_factor"); got != v {
				t.Errorf("setting = %q, want %q", got, v)
			}
		}
	})
}
