package voice

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Kind is the channel kind's name.
const Kind = "voice"

// Providers: a PBX speaking the generic CTI webhook, or Twilio Voice.
const (
	ProviderCTI    = "cti"
	ProviderTwilio = "twilio"
)

// Secret settings keys: the token the CTI address carries, Twilio's auth
// token.
const (
	SecretToken     = "token"
	SecretAuthToken = "auth_token"
)

// DefaultTwilioBaseURL is Twilio's API.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// Defaults of the settings.
const (
	DefaultWrapUp      = 60 * time.Second
	DefaultDialTimeout = 20
	// maxDialed caps the agents' phones one incoming call rings at once.
	maxDialed = 10
)

// Settings are a voice channel's public settings; the secrets are the CTI
// token or Twilio's auth token.
type Settings struct {
	// Provider is "cti" or "twilio".
	Provider string `json:"provider"`
	// Number is the line's own number (E.164), the caller id of calls out.
	Number string `json:"number,omitempty"`
	// Region is the country national numbers belong to (ISO 3166, "NL");
	// the server's region when empty.
	Region string `json:"region,omitempty"`
	// WrapUpSeconds is how long an agent stays busy for live work after a
	// call; DefaultWrapUp when nil.
	WrapUpSeconds *int `json:"wrap_up_seconds,omitempty"`
	// RejectAnonymous refuses callers who withhold their number.
	RejectAnonymous bool `json:"reject_anonymous,omitempty"`
	// Blocked numbers are refused.
	Blocked []string `json:"blocked,omitempty"`
	// Routes send a new call's ticket to a team by who calls: the first
	// that matches wins; none keeps the channel's team.
	Routes []Route `json:"routes,omitempty"`
	// Callbacks opens the public callback-request route.
	Callbacks bool `json:"callbacks,omitempty"`
	// Language of what callers hear and read (voicemail prompt, callback
	// answer): "en" (default), "nl" or "de".
	Language string `json:"language,omitempty"`
	// DialTimeout is how many seconds agents' phones ring before the
	// caller is offered voicemail (Twilio).
	DialTimeout int `json:"dial_timeout,omitempty"`
	// AccountSID is the Twilio account (AC…).
	AccountSID string `json:"account_sid,omitempty"`
	// APIBaseURL is Twilio's API address; DefaultTwilioBaseURL when empty.
	APIBaseURL string `json:"api_base_url,omitempty"`
}

// Route is one caller-ID routing rule: when the caller's contact has the
// attribute with the value, or an open ticket with the tag, the call's
// new ticket goes to the team.
type Route struct {
	Attribute     string `json:"attribute,omitempty"`
	Equals        string `json:"equals,omitempty"`
	OpenTicketTag string `json:"open_ticket_tag,omitempty"`
	TeamID        int64  `json:"team_id"`
}

// matches reports whether the rule holds for the caller.
func (r Route) matches(c *channel.Caller) bool {
	if c == nil || !c.Known {
		return false
	}
	if r.OpenTicketTag != "" {
		return slices.Contains(c.OpenTicketTags, r.OpenTicketTag)
	}
	v, ok := c.Attributes[r.Attribute]
	return ok && v != nil && fmt.Sprint(v) == r.Equals
}

// wrapUp is the channel's wrap-up time.
func (s *Settings) wrapUp() time.Duration {
	if s.WrapUpSeconds == nil {
		return DefaultWrapUp
	}
	return time.Duration(*s.WrapUpSeconds) * time.Second
}

// Config is what the adapter needs from the server.
type Config struct {
	// Client calls Twilio; a client with a 30-second timeout when nil.
	Client *http.Client
	// BaseURL returns Loket's public URL, from which Twilio's callback
	// addresses are made.
	BaseURL func() string
	// Region is the server's default phone region, for channels without
	// their own.
	Region string
}

// Adapter is the voice channel kind.
type Adapter struct {
	client  *http.Client
	baseURL func() string
	region  string
}

// New returns the voice adapter.
func New(cfg Config) *Adapter {
	a := &Adapter{client: cfg.Client, baseURL: cfg.BaseURL, region: cfg.Region}
	if a.client == nil {
		a.client = &http.Client{Timeout: 30 * time.Second}
	}
	if a.baseURL == nil {
		a.baseURL = func() string { return "" }
	}
	return a
}

// Kind implements channel.Adapter.
func (*Adapter) Kind() string { return Kind }

// Secrets implements channel.Adapter.
func (*Adapter) Secrets() []string { return []string{SecretToken, SecretAuthToken} }

// Capabilities implements channel.Describer: a telephone line carries
// calls, never a reply.
func (*Adapter) Capabilities() channel.Capabilities {
	return channel.Capabilities{NoReplies: true}
}

// Send implements channel.Adapter. The desk never queues a reply on a
// NoReplies channel; a message that got here anyway cannot be delivered.
func (*Adapter) Send(_ context.Context, out *channel.Outbound) (channel.Sent, error) {
	return channel.Sent{}, channel.Permanent(fmt.Errorf("message %d: a voice channel carries calls, not messages; answer by another channel", out.Message.ID))
}

// settingsOf reads a saved channel's settings with the defaults filled in;
// region is the server's, used when the channel has none.
func settingsOf(ch *domain.Channel, region string) (*Settings, error) {
	var s Settings
	if len(ch.Settings) > 0 {
		if err := json.Unmarshal(ch.Settings, &s); err != nil {
			return nil, domain.Invalid("invalid_settings", fmt.Sprintf("voice channel %d settings: %v", ch.ID, err))
		}
	}
	if s.Region == "" {
		s.Region = region
	}
	if s.APIBaseURL == "" {
		s.APIBaseURL = DefaultTwilioBaseURL
	}
	s.APIBaseURL = strings.TrimRight(s.APIBaseURL, "/")
	if s.DialTimeout == 0 {
		s.DialTimeout = DefaultDialTimeout
	}
	return &s, nil
}

var (
	twilioAccountSID = regexp.MustCompile(`^AC[0-9a-zA-Z]{2,62}$`)
	e164             = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// minToken is the shortest CTI token: it is the only secret of the CTI
// address.
const minToken = 24

// Validate implements channel.Adapter.
func (a *Adapter) Validate(raw json.RawMessage, secrets map[string]string) error {
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return domain.Invalid("invalid_settings", "voice channel settings: "+err.Error()+
			"; allowed: provider, number, region, wrap_up_seconds, reject_anonymous, blocked, routes, callbacks, language, dial_timeout, account_sid, api_base_url, auth_token (Twilio), token (CTI)")
	}
	if s.Number != "" && !e164.MatchString(s.Number) {
		return domain.Invalid("invalid_number", fmt.Sprintf("number %q must be the line's number in E.164 form, such as +31201234567", s.Number))
	}
	if s.Region != "" && !phonenumbers.GetSupportedRegions()[strings.ToUpper(s.Region)] {
		return domain.Invalid("invalid_region", fmt.Sprintf("region %q must be a country code such as NL, BE or DE", s.Region))
	}
	region := s.Region
	if region == "" {
		region = a.region
	}
	if s.WrapUpSeconds != nil && (*s.WrapUpSeconds < 0 || *s.WrapUpSeconds > 3600) {
		return domain.Invalid("invalid_wrap_up", "wrap_up_seconds must be 0 to 3600")
	}
	if s.DialTimeout != 0 && (s.DialTimeout < 5 || s.DialTimeout > 120) {
		return domain.Invalid("invalid_dial_timeout", "dial_timeout must be 5 to 120 seconds")
	}
	switch s.Language {
	case "", "en", "nl", "de":
	default:
		return domain.Invalid("invalid_language", fmt.Sprintf("language must be en, nl or de, not %q", s.Language))
	}
	for _, b := range s.Blocked {
		if n, err := readNumber(b, region); err != nil || n.E164 == "" {
			return domain.Invalid("invalid_blocked", fmt.Sprintf("blocked number %q is not a phone number; use reject_anonymous for withheld numbers", b))
		}
	}
	for i, r := range s.Routes {
		if (r.Attribute == "") == (r.OpenTicketTag == "") || r.TeamID <= 0 || (r.Attribute == "" && r.Equals != "") {
			return domain.Invalid("invalid_routes", fmt.Sprintf(`routes[%d] must have a team_id and either "attribute" with "equals" or "open_ticket_tag"`, i))
		}
	}
	switch s.Provider {
	case ProviderCTI:
		if len(secrets[SecretToken]) < minToken {
			return domain.Invalid("invalid_token", fmt.Sprintf("token must be a random secret of at least %d characters; it goes into the CTI address you give the telephone system", minToken))
		}
		if s.AccountSID != "" || s.APIBaseURL != "" || secrets[SecretAuthToken] != "" {
			return domain.Invalid("invalid_settings", "account_sid, api_base_url and auth_token are Twilio's; remove them from a CTI channel")
		}
	case ProviderTwilio:
		if !twilioAccountSID.MatchString(s.AccountSID) {
			return domain.Invalid("invalid_account_sid", "account_sid must be your Twilio Account SID, AC followed by 32 characters (Twilio Console, Account Info)")
		}
		if secrets[SecretAuthToken] == "" {
			return domain.Invalid("missing_auth_token", "auth_token is required: the Auth Token next to the Account SID in the Twilio Console")
		}
		if s.Number == "" {
			return domain.Invalid("missing_number", "number is required: the Twilio number in E.164 form, such as +31201234567")
		}
		if s.APIBaseURL != "" {
			u, err := url.Parse(s.APIBaseURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" {
				return domain.Invalid("invalid_api_base_url", "api_base_url must be an https:// address without a query, or left out for Twilio's own")
			}
		}
		if secrets[SecretToken] != "" {
			return domain.Invalid("invalid_settings", "token is the CTI address's; a Twilio channel is checked by its auth_token")
		}
	default:
		return domain.Invalid("invalid_provider", fmt.Sprintf("provider must be %q or %q, not %q", ProviderCTI, ProviderTwilio, s.Provider))
	}
	return nil
}

// rejects reports whether the channel refuses a caller: a withheld number
// when reject_anonymous is set, or a blocked one. Parse and the routes
// decide with it, so the timeline and the telephone system agree.
func (s *Settings) rejects(caller number) bool {
	if caller.Anonymous {
		return s.RejectAnonymous
	}
	if caller.E164 == "" {
		return false
	}
	for _, b := range s.Blocked {
		if n, err := readNumber(b, s.Region); err == nil && n.E164 == caller.E164 {
			return true
		}
	}
	return false
}

// team is the team a new call from caller goes to by the channel's
// routes: the first that matches, else zero (the channel's team).
func (s *Settings) team(ctx context.Context, sb channel.Switchboard, customer string) (int64, error) {
	if len(s.Routes) == 0 || customer == "" || sb == nil {
		return 0, nil
	}
	c, err := sb.Caller(ctx, customer)
	if err != nil {
		return 0, fmt.Errorf("caller-ID routing of %s: %w", customer, err)
	}
	for _, r := range s.Routes {
		if r.matches(c) {
			return r.TeamID, nil
		}
	}
	return 0, nil
}

// Dial implements channel.Dialer: a PBX places the call itself once the
// agent's phone starts it, reporting it with a newCall from the agent's
// extension (answered with the number to dial); Twilio is asked to call
// the agent's phone and then bridge the customer.
func (a *Adapter) Dial(ctx context.Context, ch *domain.Channel, d channel.DialRequest) (string, error) {
	s, err := settingsOf(ch, a.region)
	if err != nil {
		return "", err
	}
	if d.AgentPhone == "" || !e164.MatchString(d.Customer) {
		return "", domain.Invalid("invalid_dial", "a call needs the agent's phone and the customer's number in E.164 form")
	}
	switch s.Provider {
	case ProviderCTI:
		return "", nil
	case ProviderTwilio:
		return a.twilioDial(ctx, ch, s, d)
	}
	return "", domain.Invalid("invalid_settings", fmt.Sprintf("voice channel %d has no provider %q", ch.ID, s.Provider))
}

// Check implements channel.Checker: Twilio's account is signed in to; a
// PBX calls Loket, so there is nothing to reach for CTI.
func (a *Adapter) Check(ctx context.Context, ch *domain.Channel) []channel.Check {
	s, err := settingsOf(ch, a.region)
	if err != nil {
		return []channel.Check{{Name: "settings", Detail: err.Error()}}
	}
	if s.Provider == ProviderTwilio {
		return []channel.Check{twilioAccount(a.client, ch, s).Check(ctx)}
	}
	return []channel.Check{{Name: "cti", OK: true, Detail: "the telephone system calls Loket at the channel's CTI address; nothing to reach from here"}}
}

// callbackURL is the public address of one of a channel's routes.
func (a *Adapter) callbackURL(ch *domain.Channel, path string) string {
	return fmt.Sprintf("%s/api/v1/%s/%d/%s", strings.TrimRight(a.baseURL(), "/"), Kind, ch.ID, path)
}
