package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"loket.dev/loket/internal/bot"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/survey"
)

type channelRequest struct {
	Kind     string                     `json:"kind"`
	Name     *string                    `json:"name"`
	Settings map[string]json.RawMessage `json:"settings"`
	TeamID   *int64                     `json:"team_id"`
	Enabled  *bool                      `json:"enabled"`
	// RetentionDays: solved tickets keep their content this long; 0 for
	// ever.
	RetentionDays *int `json:"retention_days"`
	// Approval of public replies: "" required, "off"; Approvers may
	// approve them (empty: supervisors); ToneGuideURL is linked from the
	// composer.
	Approval     *string  `json:"approval"`
	Approvers    *[]int64 `json:"approvers"`
	ToneGuideURL *string  `json:"tone_guide_url"`
}

// channelView is a channel as the API shows it: public settings, and only
// the names of the secrets that are set.
type channelView struct {
	*domain.Channel
	SecretsSet   []string `json:"secrets_set"`
	InboundToken string   `json:"inbound_token,omitempty"`
	// Capabilities say what the channel can carry, so the composer
	// offers only what it can send.
	Capabilities channel.Capabilities `json:"capabilities"`
	// WebhookURL is where the provider must post, for kinds whose
	// provider is told so by the admin (channel.Webhooker).
	WebhookURL string `json:"webhook_url,omitempty"`
}

func (s *Server) viewChannel(r *http.Request, c *domain.Channel) channelView {
	set := make([]string, 0, len(c.Secrets))
	for k := range c.Secrets {
		set = append(set, k)
	}
	sort.Strings(set)
	v := channelView{Channel: c, SecretsSet: set, Capabilities: s.channels.Capabilities(c.Kind)}
	if a, err := s.channels.Adapter(c.Kind); err == nil {
		if wh, ok := a.(channel.Webhooker); ok {
			v.WebhookURL = fmt.Sprintf("%s/api/v1/%s/%d/%s", s.base(r), c.Kind, c.ID, wh.WebhookPath())
		}
	}
	return v
}

// channelTemplates lists a channel's approved templates (channel.Templater),
// for sending outside its send window.
func (s *Server) channelTemplates(w http.ResponseWriter, r *http.Request, _ *principal) error {
	c, a, err := s.channelAndAdapter(r)
	if err != nil {
		return err
	}
	tp, ok := a.(channel.Templater)
	if !ok {
		return errorf(http.StatusUnprocessableEntity, "templates_unsupported", "%s channels do not send templates", c.Kind)
	}
	list, err := tp.Templates(r.Context(), c)
	if err != nil {
		return errorf(http.StatusBadGateway, "provider_failed", "could not list the templates of channel %q: %v", c.Name, err)
	}
	if list == nil {
		list = []channel.Template{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": list})
	return nil
}

// applySettings splits req's settings into public settings and secrets as
// the channel's adapter declares them, keeps secrets that are not resent,
// and validates the result.
func (s *Server) applySettings(c *domain.Channel, req *channelRequest) error {
	a, err := s.channels.Adapter(c.Kind)
	if err != nil {
		return err
	}
	if req.Name != nil {
		c.Name = strings.TrimSpace(*req.Name)
	}
	if c.Name == "" {
		return domain.Invalid("invalid_name", "name is required")
	}
	if req.TeamID != nil {
		c.TeamID = *req.TeamID
	}
	if req.Enabled != nil {
		c.Enabled = *req.Enabled
	}
	if req.RetentionDays != nil {
		if d := *req.RetentionDays; d != 0 && (d < 30 || d > 36500) {
			return domain.Invalid("invalid_retention", "retention_days is 0 (keep for ever) or 30 to 36500 days")
		}
		c.RetentionDays = *req.RetentionDays
	}
	if req.Approval != nil {
		if a := *req.Approval; a != "" && a != domain.ApprovalOff {
			return domain.Invalid("invalid_approval", `approval is "" (public replies need a second person) or "off"`)
		}
		c.Approval = *req.Approval
	}
	if req.Approvers != nil {
		if len(*req.Approvers) > 100 {
			return domain.Invalid("invalid_approvers", "at most 100 approvers")
		}
		c.Approvers = *req.Approvers
	}
	if req.ToneGuideURL != nil {
		u := strings.TrimSpace(*req.ToneGuideURL)
		if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return domain.Invalid("invalid_url", "tone_guide_url must be an http(s) address")
		}
		c.ToneGuideURL = u
	}
	if req.Settings != nil {
		public := req.Settings
		for _, name := range a.Secrets() {
			v, ok, err := takeSecret(public, name)
			if err != nil {
				return err
			}
			switch {
			case !ok:
			case v == "":
				delete(c.Secrets, name)
			default:
				c.Secrets[name] = v
			}
		}
		c.Settings, _ = json.Marshal(public)
	}
	// The FAQ bot's and the surveys' settings are the same for every kind
	// of channel; the adapter checks the rest.
	var settings map[string]json.RawMessage
	if err := json.Unmarshal(c.Settings, &settings); err != nil {
		return domain.Invalid("invalid_settings", "settings must be a JSON object")
	}
	if err := bot.ValidateSettings(settings["bot"]); err != nil {
		return err
	}
	if err := survey.ValidateSettings(settings["survey"]); err != nil {
		return err
	}
	delete(settings, "bot")
	delete(settings, "survey")
	own, _ := json.Marshal(settings)
	return a.Validate(own, c.Secrets)
}

// takeSecret removes the secret called name from settings and returns it.
// A dotted name such as "imap.password" reaches into a nested object.
func takeSecret(settings map[string]json.RawMessage, name string) (string, bool, error) {
	bad := domain.Invalid("invalid_settings", fmt.Sprintf("settings.%s must be a string", name))
	outer, inner, nested := strings.Cut(name, ".")
	if !nested {
		raw, ok := settings[name]
		if !ok {
			return "", false, nil
		}
		delete(settings, name)
		var v string
		if json.Unmarshal(raw, &v) != nil {
			return "", false, bad
		}
		return v, true, nil
	}
	raw, ok := settings[outer]
	if !ok {
		return "", false, nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return "", false, nil // not an object: the adapter's validation says what is wrong
	}
	v, ok, err := takeSecret(obj, inner)
	if ok {
		settings[outer], _ = json.Marshal(obj)
	}
	return v, ok, err
}

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, _ *principal) error {
	chs, err := s.store.Channels(r.Context(), r.URL.Query().Get("kind"))
	if err != nil {
		return err
	}
	out := make([]channelView, len(chs))
	for i, c := range chs {
		out[i] = s.viewChannel(r, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": out, "kinds": s.channels.Kinds()})
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.store.Channel(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewChannel(r, c))
	return nil
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req channelRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		return err
	}
	c := &domain.Channel{Kind: req.Kind, Enabled: true, Secrets: map[string]string{}, Settings: json.RawMessage("{}")}
	if err := s.applySettings(c, &req); err != nil {
		return err
	}
	token := secret.Token("lki")
	err := s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.CreateChannel(r.Context(), c, secret.Hash(token)); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "channel.create", fmt.Sprintf("%s %d", c.Kind, c.ID), c.Name)
	})
	if err != nil {
		return err
	}
	s.desk.ChannelChanged(r.Context(), c.ID, true)
	v := s.viewChannel(r, c)
	v.InboundToken = token
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) updateChannel(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req channelRequest
	if err := decode(w, r, 64<<10, &req); err != nil {
		return err
	}
	var c *domain.Channel
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		var err error
		if c, err = tx.Channel(r.Context(), id); err != nil {
			return err
		}
		if req.Kind != "" && req.Kind != c.Kind {
			return domain.Invalid("immutable_field", "a channel's kind cannot change; create a new channel")
		}
		if err := s.applySettings(c, &req); err != nil {
			return err
		}
		if err := tx.UpdateChannel(r.Context(), c); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "channel.update", fmt.Sprintf("%s %d", c.Kind, c.ID), c.Name)
	})
	if err != nil {
		return err
	}
	s.desk.InvalidateSLA() // the channel's team and kind are cached there
	s.desk.ChannelChanged(r.Context(), c.ID, false)
	writeJSON(w, http.StatusOK, s.viewChannel(r, c))
	return nil
}

func (s *Server) rotateChannelToken(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	token := secret.Token("lki")
	err = s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := tx.SetChannelInboundToken(r.Context(), id, secret.Hash(token)); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, "channel.token", fmt.Sprint(id), "")
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"inbound_token": token})
	return nil
}

// channelAndAdapter reads the channel the path names and its kind's
// adapter.
func (s *Server) channelAndAdapter(r *http.Request) (*domain.Channel, channel.Adapter, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, nil, err
	}
	c, err := s.store.Channel(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.channels.Adapter(c.Kind)
	if err != nil {
		return nil, nil, err
	}
	return c, a, nil
}

// testChannel runs the connection tests of a channel's adapter on its saved
// settings, such as signing in to the mail servers, without writing to any
// customer.
func (s *Server) testChannel(w http.ResponseWriter, r *http.Request, _ *principal) error {
	c, a, err := s.channelAndAdapter(r)
	if err != nil {
		return err
	}
	checker, ok := a.(channel.Checker)
	if !ok {
		return domain.Invalid("no_connection_test", fmt.Sprintf("channels of kind %q have no connection test", c.Kind))
	}
	checks := checker.Check(r.Context(), c)
	all := len(checks) > 0
	for _, ch := range checks {
		all = all && ch.OK
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": all, "checks": checks})
	return nil
}

// MaxInboundBytes bounds one posted inbound message, attachments included
// (base64 adds a third).
const MaxInboundBytes = 40 << 20

// inbound takes a customer message posted by a system, authenticated by
// the channel's inbound token or an API token.
func (s *Server) inbound(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	tok, ok := bearer(r)
	if !ok {
		return errorf(http.StatusUnauthorized, "unauthenticated", "send the channel's inbound token as Authorization: Bearer <token>")
	}
	// Only the channel's own inbound token: any other token, an agent's
	// API token included, could post a "customer" message into a ticket
	// of a team its holder cannot see.
	ch, err := s.store.ChannelByInboundToken(r.Context(), secret.Hash(tok))
	if errors.Is(err, domain.ErrNotFound) {
		return errorf(http.StatusUnauthorized, "unauthenticated", "the token is not valid for this channel")
	}
	if err != nil {
		return err
	}
	if ch.ID != id {
		return errorf(http.StatusUnauthorized, "unauthenticated", "the token is not valid for this channel")
	}
	if !ch.Enabled {
		return errorf(http.StatusConflict, "channel_disabled", "channel %q is disabled", ch.Name)
	}
	// A kind whose provider signs its own webhook takes messages only
	// there: an inbound token must not stand in for the provider's
	// signature.
	if a, err := s.channels.Adapter(ch.Kind); err == nil {
		if _, signed := a.(channel.Webhooker); signed {
			return errorf(http.StatusConflict, "use_webhook", "%s channels take messages only at their signed webhook", ch.Kind)
		}
	}
	body, err := readBody(w, r, MaxInboundBytes)
	if err != nil {
		return err
	}
	res, err := s.desk.Ingest(r.Context(), ch, r.Header.Get("Content-Type"), body)
	if err != nil {
		return err
	}
	if res.DeadLetter != 0 {
		writeJSON(w, http.StatusAccepted, map[string]any{"dead_letter": res.DeadLetter,
			"detail": "accepted but not processed; kept for an administrator to retry"})
		return nil
	}
	if len(res.Received) == 0 {
		// Nothing for the inbox, such as a delivery report.
		writeJSON(w, http.StatusAccepted, map[string]any{"detail": "accepted; nothing to add to a ticket"})
		return nil
	}
	rc := res.Received[0] // posted payloads carry one message
	status := http.StatusCreated
	if rc.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, map[string]any{
		"ticket":    map[string]any{"id": rc.Ticket.ID, "number": rc.Ticket.Number},
		"message":   map[string]any{"id": rc.Message.ID},
		"contact":   map[string]any{"id": rc.Contact.ID, "number": rc.Contact.Number},
		"duplicate": rc.Duplicate,
	})
	return nil
}
