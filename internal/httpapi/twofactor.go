package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/notice"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// Two-factor sign-in: a time-based code (RFC 6238: SHA-1, 6 digits, 30
// seconds, as every authenticator app reads it), with one step of clock
// drift allowed either way.
const (
	totpPeriod        = 30
	totpIssuer        = "Loket"
	recoveryCodeCount = 10
	// settingTwoFactorRoles is the setting naming the roles that must
	// sign in with two factors (a JSON array).
	settingTwoFactorRoles = "two_factor_roles"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// twoFactorRoles returns the roles that must sign in with two factors.
func (s *Server) twoFactorRoles(ctx context.Context) ([]domain.Role, error) {
	v, err := s.store.Setting(ctx, settingTwoFactorRoles)
	if err != nil || v == "" {
		return []domain.Role{}, err
	}
	var roles []domain.Role
	if err := json.Unmarshal([]byte(v), &roles); err != nil {
		return nil, fmt.Errorf("setting %s: %w", settingTwoFactorRoles, err)
	}
	return roles, nil
}

func (s *Server) twoFactorRequired(ctx context.Context, role domain.Role) (bool, error) {
	roles, err := s.twoFactorRoles(ctx)
	return slices.Contains(roles, role), err
}

// totpStep checks code against secret at now and returns the time step it
// belongs to; ok is false when it matches none within the drift allowed.
func totpStep(secretB32, code string, now time.Time) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	for _, st := range []int64{cur - 1, cur, cur + 1} {
		want, err := totp.GenerateCodeCustom(secretB32, time.Unix(st*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// checkCode reports whether code is a current authenticator code of agent
// id that was not used before, or, when recovery is set, one of its
// unused recovery codes; either way it is used up.
func (s *Server) checkCode(ctx context.Context, agentID int64, code, recovery string) (bool, error) {
	if recovery != "" {
		return s.store.UseRecoveryCode(ctx, agentID, secret.Hash(normalRecoveryCode(recovery)), s.limits.now().UnixMilli())
	}
	t, err := s.store.AgentTOTP(ctx, agentID)
	if err != nil || t.Secret == "" {
		return false, err
	}
	step, ok := totpStep(t.Secret, code, s.limits.now())
	if !ok {
		return false, nil
	}
	return s.store.UseTOTPStep(ctx, agentID, step)
}

// normalRecoveryCode is a recovery code as hashed: lower case, without
// the spaces and dashes people type.
func normalRecoveryCode(c string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(c)))
}

// newRecoveryCodes returns recoveryCodeCount codes of 10 base32 characters
// (50 random bits), shown as xxxxx-xxxxx, with their hashes.
func newRecoveryCodes() (codes, hashes []string) {
	for range recoveryCodeCount {
		b := make([]byte, 7)
		rand.Read(b)
		c := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:10]
		codes = append(codes, c[:5]+"-"+c[5:])
		hashes = append(hashes, secret.Hash(c))
	}
	return codes, hashes
}

type secondFactorRequest struct {
	Challenge    string `json:"challenge"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

// signInSecondFactor finishes a sign-in whose password was right with a
// code from the authenticator app or a recovery code. Wrong codes count
// as failed sign-ins: against the same rate limits and the account's
// lockout.
func (s *Server) signInSecondFactor(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var req secondFactorRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	if (req.Code == "") == (req.RecoveryCode == "") {
		return domain.Invalid("missing_field", "send either code or recovery_code")
	}
	h := secret.Hash(req.Challenge)
	id, err := s.store.ChallengeAgent(r.Context(), h, s.limits.now().UnixMilli())
	if errors.Is(err, domain.ErrNotFound) {
		return errorf(http.StatusUnauthorized, "challenge_expired", "the sign-in took too long or was finished; sign in with your password again")
	} else if err != nil {
		return err
	}
	a, err := s.store.Agent(r.Context(), id)
	if err != nil {
		return err
	}
	byAddress, byAccount := s.signInLimits(r, a.Email)
	if err := s.checkSignInRate(w, byAddress, byAccount); err != nil {
		return err
	}
	if err := s.checkLock(r.Context(), w, a); err != nil {
		return err
	}
	ok, err := s.checkCode(r.Context(), a.ID, req.Code, req.RecoveryCode)
	if err != nil {
		return err
	}
	if !ok || a.Disabled {
		return s.signInFailed(r, a, byAddress, byAccount, "the code is wrong or was used already")
	}
	if done, err := s.store.DeleteChallenge(r.Context(), h); err != nil {
		return err
	} else if !done {
		return errorf(http.StatusUnauthorized, "challenge_expired", "the sign-in was finished already; sign in with your password again")
	}
	if req.RecoveryCode != "" {
		left, err := s.store.RecoveryCodesLeft(r.Context(), a.ID)
		if err != nil {
			return err
		}
		if err := s.store.Audit(r.Context(), a.Name, "agent.two_factor.recovery_code", a.Email, fmt.Sprintf("%d left", left)); err != nil {
			return err
		}
	}
	return s.startSession(w, r, a)
}

// enrolTwoFactor makes a new authenticator secret for the signed-in agent
// and shows it as an otpauth:// URI and as a QR code of it; sign-in asks
// for codes once the agent confirms one.
func (s *Server) enrolTwoFactor(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "API tokens have no second factor")
	}
	if p.agent.TwoFactor {
		return errorf(http.StatusConflict, "two_factor_enabled", "two-factor sign-in is on already; turn it off first to set up another app")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: p.agent.Email, Period: totpPeriod})
	if err != nil {
		return err
	}
	if err := s.store.SetTOTPSecret(r.Context(), p.agent.ID, key.Secret()); err != nil {
		return err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"secret": key.Secret(),
		"uri":    key.URL(),
		"qr_png": "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	})
	return nil
}

type codeRequest struct {
	Code string `json:"code"`
}

// confirmTwoFactor turns two-factor sign-in on once the agent gives a code
// of the new secret, and answers the recovery codes, shown only now.
func (s *Server) confirmTwoFactor(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "API tokens have no second factor")
	}
	var req codeRequest
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	if !s.limits.allow("two-factor:"+p.agent.Email, 5, time.Minute) {
		return errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a minute")
	}
	t, err := s.store.AgentTOTP(r.Context(), p.agent.ID)
	if err != nil {
		return err
	}
	if t.Enabled {
		return errorf(http.StatusConflict, "two_factor_enabled", "two-factor sign-in is on already")
	}
	if t.Secret == "" {
		return errorf(http.StatusConflict, "not_enrolled", "set up an authenticator app first")
	}
	ok, err := s.checkCode(r.Context(), p.agent.ID, req.Code, "")
	if err != nil {
		return err
	}
	if !ok {
		return domain.Invalid("bad_code", "the code is wrong; type the 6 digits your app shows now")
	}
	codes, hashes := newRecoveryCodes()
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.EnableTOTP(r.Context(), p.agent.ID, hashes); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.two_factor.enable", p.agent.Email, "")
	})
	if err != nil {
		return err
	}
	p.agent.TwoFactor = true
	writeJSON(w, http.StatusOK, map[string]any{"agent": p.agent, "recovery_codes": codes})
	return nil
}

// disableTwoFactor turns the signed-in agent's two-factor sign-in off,
// given a current code (or a recovery code), unless the role requires it.
func (s *Server) disableTwoFactor(w http.ResponseWriter, r *http.Request, p *principal) error {
	if p.agent.ID == 0 {
		return errorf(http.StatusForbidden, "forbidden", "API tokens have no second factor")
	}
	var req struct {
		Code         string `json:"code"`
		RecoveryCode string `json:"recovery_code"`
	}
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	if !p.agent.TwoFactor {
		return errorf(http.StatusConflict, "not_enrolled", "two-factor sign-in is off already")
	}
	if required, err := s.twoFactorRequired(r.Context(), p.agent.Role); err != nil {
		return err
	} else if required {
		return errorf(http.StatusConflict, "two_factor_required", "your role must sign in with two factors; an admin can change that")
	}
	if !s.limits.allow("two-factor:"+p.agent.Email, 5, time.Minute) {
		return errorf(http.StatusTooManyRequests, "rate_limited", "too many attempts; wait a minute")
	}
	ok, err := s.checkCode(r.Context(), p.agent.ID, req.Code, req.RecoveryCode)
	if err != nil {
		return err
	}
	if !ok {
		return domain.Invalid("bad_code", "the code is wrong or was used already")
	}
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.DisableTOTP(r.Context(), p.agent.ID); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.two_factor.disable", p.agent.Email, "")
	})
	if err != nil {
		return err
	}
	p.agent.TwoFactor = false
	writeJSON(w, http.StatusOK, map[string]any{"agent": p.agent})
	return nil
}

// resetTwoFactor is an admin turning an agent's two-factor sign-in off,
// as when the agent lost the phone and the recovery codes; the agent's
// sessions end.
func (s *Server) resetTwoFactor(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var a *domain.Agent
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if a, err = tx.Agent(r.Context(), id); err != nil {
			return err
		}
		if err := tx.DisableTOTP(r.Context(), id); err != nil {
			return err
		}
		if _, err := tx.DeleteAgentSessions(r.Context(), id, p.session); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "agent.two_factor.reset", a.Email, "")
	})
	if err != nil {
		return err
	}
	s.hub.Drop(id)
	a.TwoFactor = false
	writeJSON(w, http.StatusOK, a)
	return nil
}

type securitySettings struct {
	TwoFactorRoles []domain.Role `json:"two_factor_roles"`
}

func (s *Server) getSecuritySettings(w http.ResponseWriter, r *http.Request, _ *principal) error {
	roles, err := s.twoFactorRoles(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, securitySettings{TwoFactorRoles: roles})
	return nil
}

// putSecuritySettings sets which roles must sign in with two factors.
func (s *Server) putSecuritySettings(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req securitySettings
	if err := decode(w, r, 4<<10, &req); err != nil {
		return err
	}
	roles := []domain.Role{}
	for _, role := range req.TwoFactorRoles {
		if !role.Valid() {
			return domain.Invalid("invalid_role", "two_factor_roles may name admin, supervisor and agent")
		}
		if !slices.Contains(roles, role) {
			roles = append(roles, role)
		}
	}
	b, _ := json.Marshal(roles)
	err := s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.SetSetting(r.Context(), settingTwoFactorRoles, string(b)); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "settings.two_factor_roles", "", string(b))
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, securitySettings{TwoFactorRoles: roles})
	return nil
}

// accountLocked records the lock of a's account on the audit log and
// mails its owner, in one transaction.
func (s *Server) accountLocked(ctx context.Context, a *domain.Agent, ip string, until int64) error {
	minutes := (until - s.limits.now().UnixMilli() + 59_999) / 60_000
	text := lockNotices[a.Language]
	if text.subject == "" {
		text = lockNotices["en"]
	}
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.Audit(ctx, a.Name, "agent.locked", a.Email, fmt.Sprintf("after %d failed sign-ins; last from %s; for %d minutes", lockout.Failures, ip, minutes)); err != nil {
			return err
		}
		return notice.Enqueue(ctx, tx, notice.Notice{AgentID: a.ID, Subject: text.subject, Text: fmt.Sprintf(text.body, a.Name, lockout.Failures, ip, minutes)})
	})
	if err == nil && s.tasksAdded != nil {
		s.tasksAdded()
	}
	return err
}

// lockNotices is the mail an agent gets when their account is locked,
// per interface language: name, failures, address, minutes.
var lockNotices = map[string]struct{ subject, body string }{
	"en": {"Your Loket account is locked for a while",
		"Hello %[1]s,\n\nSomeone failed to sign in to your Loket account %[2]d times in a short while, most recently from address %[3]s. " +
			"To stop anyone guessing your password, the account is locked for %[4]d minutes.\n\n" +
			"If this was you, wait and try again. If it was not, change your password once you are signed in and tell an admin; " +
			"consider turning on two-factor sign-in in your profile.\n"},
	"nl": {"Je Loket-account is tijdelijk geblokkeerd",
		"Hallo %[1]s,\n\nIemand probeerde in korte tijd %[2]d keer zonder succes in te loggen op je Loket-account, het laatst vanaf adres %[3]s. " +
			"Om te voorkomen dat iemand je wachtwoord raadt, is het account %[4]d minuten geblokkeerd.\n\n" +
			"Was jij dit, wacht dan even en probeer het opnieuw. Was jij het niet, wijzig dan na het inloggen je wachtwoord en meld het aan een beheerder; " +
			"zet ook tweestapsverificatie aan in je profiel.\n"},
	"de": {"Ihr Loket-Konto ist vorübergehend gesperrt",
		"Hallo %[1]s,\n\njemand hat sich in kurzer Zeit %[2]d-mal vergeblich bei Ihrem Loket-Konto anzumelden versucht, zuletzt von der Adresse %[3]s. " +
			"Damit niemand Ihr Passwort errät, ist das Konto für %[4]d Minuten gesperrt.\n\n" +
			"Waren Sie das, warten Sie bitte und versuchen Sie es erneut. Wenn nicht, ändern Sie nach der Anmeldung Ihr Passwort und informieren Sie einen Administrator; " +
			"schalten Sie auch die Zwei-Faktor-Anmeldung in Ihrem Profil ein.\n"},
}
