// Package httpapi serves Loket's REST API, the realtime stream, inbound
// channel endpoints and health checks. Handlers are thin: they parse the
// request, check the caller's role, call a desk use case or a store query,
// and write the answer. Who may call what is in the route table below.
package httpapi

import (
	"cmp"
	"context"
	"log/slog"
	"loket.dev/loket/internal/automation"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/dispatch"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/metrics"
	"loket.dev/loket/internal/realtime"
	"loket.dev/loket/internal/sso"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/webhook"
)

// Config wires a Server.
type Config struct {
	Desk     *desk.Desk
	Store    *store.Store
	Blobs    blob.Store
	Hub      *realtime.Hub
	Channels *channel.Registry
	Log      *slog.Logger
	// SecureCookies marks session cookies Secure (when served over https).
	SecureCookies bool
	// Ready reports whether the node is ready to serve: on several nodes,
	// once it hears the others' events. Nil: always.
	Ready func() bool
	// Web serves the agent web app at / when set.
	Web http.Handler
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client that rate limits count (ParseTrustedProxies).
	TrustedProxies []netip.Prefix
	// Router runs ticket routing; nil disables the routing routes.
	Router *dispatch.Dispatcher
	// Help serves the public help center under /help when set.
	Help http.Handler
	// Widget serves the website chat script under /widget/ when set.
	Widget http.Handler
	// Display serves the front desks' waiting-room displays under /desk/
	// when set.
	Display http.Handler
	// Contacts says which contacts agents see; "" is domain.ContactsShared.
	Contacts domain.ContactScope
	// Clock gives the time rate limits count by; time.Now when nil.
	Clock func() time.Time
	// Metrics, when set, times every request and is served at /metrics
	// to admins' API tokens (Prometheus' bearer_token).
	Metrics *metrics.Registry
	// BaseURL is Loket's public URL (LOKET_BASE_URL), from which webhook
	// addresses are shown and signed URLs checked; without it, the
	// request's own host.
	BaseURL string
	// Automation runs rules, takes external events and fills templates;
	// nil makes one that runs no rules.
	Automation *automation.Engine
	// Webhooks keeps the webhooks out; nil answers their changes with 503.
	Webhooks *webhook.Service
	// SSO signs agents in with an OpenID provider; nil offers passwords only.
	SSO *sso.Provider
	// TasksAdded, when set, tells the task runner that tasks were queued,
	// such as the notice mailed to an agent whose account was locked.
	TasksAdded func()
}

// Server is the HTTP side of Loket.
type Server struct {
	desk     *desk.Desk
	store    *store.Store
	blobs    blob.Store
	hub      *realtime.Hub
	channels *channel.Registry
	log      *slog.Logger
	secure   bool
	ready    func() bool
	web      http.Handler
	help     http.Handler
	router   *dispatch.Dispatcher
	proxies  []netip.Prefix
	widget   http.Handler
	display  http.Handler
	limits   *limiter
	// adapterChannels caches the channels of adapter routes.
	adapterChannels channelCache
	openAPIDoc      []byte
	csrf            *http.CrossOriginProtection
	contacts        domain.ContactScope
	baseURL         string
	metrics         *metrics.Registry
	requests        *metrics.Histogram
	automation      *automation.Engine
	webhooks        *webhook.Service
	sso             *sso.Provider
	tasksAdded      func()
}

// New returns a server.
func New(cfg Config) *Server {
	s := &Server{
		desk: cfg.Desk, store: cfg.Store, blobs: cfg.Blobs, hub: cfg.Hub, channels: cfg.Channels, log: cfg.Log,
		secure: cfg.SecureCookies, ready: cfg.Ready, web: cfg.Web, help: cfg.Help, router: cfg.Router, proxies: cfg.TrustedProxies, widget: cfg.Widget,
		contacts: cfg.Contacts, baseURL: strings.TrimRight(cfg.BaseURL, "/"), metrics: cfg.Metrics,
		csrf: http.NewCrossOriginProtection(), automation: cfg.Automation, webhooks: cfg.Webhooks,
		display: cfg.Display, sso: cfg.SSO, tasksAdded: cfg.TasksAdded,
	}
	if s.automation == nil {
		// Rules can be edited and tested; none runs, as the desk records
		// no triggers for this engine.
		s.automation = automation.New(automation.Config{Store: cfg.Store, Channels: cfg.Channels, Log: cfg.Log})
		s.automation.Attach(cfg.Desk)
	}
	s.openAPIDoc = mustMergeOpenAPI(openAPIFiles, cfg.Channels)
	if s.metrics != nil {
		s.requests = s.metrics.NewHistogram("loket_http_request_duration_seconds",
			"Time to answer HTTP requests, by route pattern, method and status code (sockets excluded).", metrics.DurationBuckets, "route", "method", "code")
	}
	if s.ready == nil {
		s.ready = func() bool { return true }
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	s.limits = newLimiter(clock)
	if cfg.Store != nil && cfg.Store.Dialect() == store.Postgres {
		s.limits.shared, s.limits.log = cfg.Store, cmp.Or(s.log, slog.Default())
	}
	return s
}

// access says who may call a route.
type access int

const (
	public     access = iota // no credentials (login, health, inbound with its own token)
	anyAgent                 // any signed-in agent or API token
	supervisor               // supervisors and admins
	admin                    // admins only
	events                   // admins and API tokens scoped to posting events
)

type route struct {
	method, path string
	access       access
	handler      func(http.ResponseWriter, *http.Request, *principal) error
}

// routes is the whole API: method, path, who may call it, handler.
func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", public, s.health},
		{"GET", "/api/v1/openapi.json", public, s.openAPI},

		{"POST", "/api/v1/session", public, s.login},
		{"GET", "/api/v1/session", anyAgent, s.me},
		{"DELETE", "/api/v1/session", anyAgent, s.logout},
		{"PATCH", "/api/v1/session", anyAgent, s.updateProfile},
		{"PUT", "/api/v1/session/password", anyAgent, s.changePassword},
		// Single sign-on: whether it is on, and the browser's way through
		// the provider (the sealed state cookie is the credential).
		{"GET", "/api/v1/sso", public, s.ssoInfo},
		{"GET", "/api/v1/sso/login", public, s.ssoLogin},
		{"GET", "/api/v1/sso/callback", public, s.ssoCallback},
		{"POST", "/api/v1/session/two-factor", public, s.signInSecondFactor},
		{"POST", "/api/v1/session/two-factor/enrol", anyAgent, s.enrolTwoFactor},
		{"POST", "/api/v1/session/two-factor/confirm", anyAgent, s.confirmTwoFactor},
		{"POST", "/api/v1/session/two-factor/disable", anyAgent, s.disableTwoFactor},
		{"GET", "/api/v1/session/sessions", anyAgent, s.listMySessions},
		{"DELETE", "/api/v1/session/sessions", anyAgent, s.revokeMyOtherSessions},
		{"DELETE", "/api/v1/session/sessions/{sid}", anyAgent, s.revokeMySession},

		{"GET", "/api/v1/agents", anyAgent, s.listAgents},
		{"POST", "/api/v1/agents", admin, s.createAgent},
		{"GET", "/api/v1/agents/{id}", anyAgent, s.getAgent},
		{"PATCH", "/api/v1/agents/{id}", admin, s.updateAgent},
		{"POST", "/api/v1/agents/{id}/two-factor/reset", admin, s.resetTwoFactor},
		{"POST", "/api/v1/agents/{id}/unlock", admin, s.unlockAgent},
		{"GET", "/api/v1/agents/{id}/sessions", admin, s.listAgentSessions},
		{"DELETE", "/api/v1/agents/{id}/sessions", admin, s.revokeAgentSessions},
		{"DELETE", "/api/v1/agents/{id}/sessions/{sid}", admin, s.revokeAgentSession},
		{"GET", "/api/v1/settings/security", admin, s.getSecuritySettings},
		{"PUT", "/api/v1/settings/security", admin, s.putSecuritySettings},

		{"GET", "/api/v1/teams", anyAgent, s.listTeams},
		{"POST", "/api/v1/teams", admin, s.createTeam},
		{"PATCH", "/api/v1/teams/{id}", admin, s.updateTeam},

		{"GET", "/api/v1/channels", anyAgent, s.listChannels},
		{"POST", "/api/v1/channels", admin, s.createChannel},
		{"GET", "/api/v1/channels/{id}", anyAgent, s.getChannel},
		{"PATCH", "/api/v1/channels/{id}", admin, s.updateChannel},
		{"POST", "/api/v1/channels/{id}/token", admin, s.rotateChannelToken},
		{"POST", "/api/v1/channels/{id}/test", admin, s.testChannel},
		{"GET", "/api/v1/channels/{id}/templates", anyAgent, s.channelTemplates},
		{"GET", "/metrics", admin, s.serveMetrics},
		{"POST", "/api/v1/channels/{id}/inbound", public, s.inbound},
		{"POST", "/api/v1/channels/{id}/email", public, s.inbound},

		{"GET", "/api/v1/contacts", anyAgent, s.listContacts},
		{"POST", "/api/v1/contacts", anyAgent, s.createContact},
		{"GET", "/api/v1/contacts/by-number/{number}", anyAgent, s.contactByNumber},
		{"GET", "/api/v1/contacts/{id}", anyAgent, s.getContact},
		{"PATCH", "/api/v1/contacts/{id}", anyAgent, s.updateContact},
		{"POST", "/api/v1/contacts/{id}/merge", supervisor, s.mergeContact},
		{"GET", "/api/v1/privacy/contacts/{id}/export", admin, s.exportContact},
		{"POST", "/api/v1/privacy/contacts/{id}/erase", admin, s.eraseContact},

		{"GET", "/api/v1/tickets", anyAgent, s.listTickets},
		{"GET", "/api/v1/tickets/by-number/{number}", anyAgent, s.ticketByNumber},
		{"GET", "/api/v1/tickets/{id}", anyAgent, s.getTicket},
		{"PATCH", "/api/v1/tickets/{id}", anyAgent, s.updateTicket},
		{"GET", "/api/v1/messages", anyAgent, s.listMessages},
		{"POST", "/api/v1/tickets/{id}/messages", anyAgent, s.postMessage},
		{"POST", "/api/v1/messages/{id}/retry", anyAgent, s.retryMessage},
		{"POST", "/api/v1/tickets/{id}/calls", anyAgent, s.dial},
		{"GET", "/api/v1/calls", anyAgent, s.listCalls},
		{"GET", "/api/v1/calls/{id}", anyAgent, s.getCall},
		{"GET", "/api/v1/messages/{id}/raw", anyAgent, s.rawMessage},
		{"GET", "/api/v1/attachments/{id}", anyAgent, s.downloadAttachment},
		{"POST", "/api/v1/letters", anyAgent, s.registerLetter},
		{"POST", "/api/v1/messages/{id}/posted", anyAgent, s.confirmPosted},
		{"GET", "/api/v1/search", anyAgent, s.search},

		{"GET", "/api/v1/calendars", anyAgent, s.listCalendars},
		{"POST", "/api/v1/calendars", admin, s.saveCalendar},
		{"PUT", "/api/v1/calendars/{id}", admin, s.saveCalendar},
		{"GET", "/api/v1/sla-policies", anyAgent, s.listPolicies},
		{"POST", "/api/v1/sla-policies", admin, s.savePolicy},
		{"PUT", "/api/v1/sla-policies/{id}", admin, s.savePolicy},

		{"GET", "/api/v1/canned-responses", anyAgent, s.listCanned},
		{"POST", "/api/v1/canned-responses", supervisor, s.saveCanned},
		{"PUT", "/api/v1/canned-responses/{id}", supervisor, s.saveCanned},
		{"DELETE", "/api/v1/canned-responses/{id}", supervisor, s.deleteCanned},

		{"GET", "/api/v1/dead-letters", admin, s.listDeadLetters},
		{"POST", "/api/v1/dead-letters/{id}/retry", admin, s.retryDeadLetter},
		{"GET", "/api/v1/audit", admin, s.listAudit},

		{"GET", "/api/v1/stream", anyAgent, s.stream},

		// Routing: presence, queues, get-next, estimated wait.
		{"PUT", "/api/v1/session/presence", anyAgent, s.setPresence},
		{"POST", "/api/v1/queue/next", anyAgent, s.getNext},
		{"GET", "/api/v1/queues", supervisor, s.queues},
		{"GET", "/api/v1/wait-times", public, s.waitTimes},

		// Knowledge base.
		{"GET", "/api/v1/kb/categories", anyAgent, s.listKBCategories},
		{"POST", "/api/v1/kb/categories", supervisor, s.saveKBCategory},
		{"PUT", "/api/v1/kb/categories/{id}", supervisor, s.saveKBCategory},
		{"DELETE", "/api/v1/kb/categories/{id}", supervisor, s.deleteKBCategory},
		{"GET", "/api/v1/kb/articles", anyAgent, s.listArticles},
		{"POST", "/api/v1/kb/articles", supervisor, s.saveArticle},
		{"GET", "/api/v1/kb/articles/{id}", anyAgent, s.getArticle},
		{"PUT", "/api/v1/kb/articles/{id}", supervisor, s.saveArticle},
		{"DELETE", "/api/v1/kb/articles/{id}", supervisor, s.deleteArticle},
		{"GET", "/api/v1/kb/search", anyAgent, s.searchKB},
		// Not /tickets/{id}/suggested-articles: any GET below /tickets/{id}/
		// would clash with /tickets/by-number/{number} in the router.
		{"GET", "/api/v1/kb/suggested-articles", anyAgent, s.suggestedArticles},

		// Reports on volumes, speed, SLA attainment and outcomes.
		{"GET", "/api/v1/reports/volume", supervisor, s.volumeReport},
		{"GET", "/api/v1/reports/speed", supervisor, s.speedReport},
		{"GET", "/api/v1/reports/sla", supervisor, s.slaReport},
		{"GET", "/api/v1/reports/outcome", supervisor, s.outcomeReport},
		{"GET", "/api/v1/reports/calls", supervisor, s.callsReport},
		{"GET", "/api/v1/reports/today", supervisor, s.todayReport},

		// Channels a website embeds (the chat widget's snippet). The
		// adapters' own public routes are mounted by mountAdapters.
		{"GET", "/api/v1/channels/{id}/snippet", admin, s.channelSnippet},

		// Automation: rules, message templates, events from other systems,
		// scheduled replies.
		{"GET", "/api/v1/rules/schema", admin, s.ruleSchema},
		{"GET", "/api/v1/rules", admin, s.listRules},
		{"POST", "/api/v1/rules", admin, s.saveRule},
		{"POST", "/api/v1/rules/test", admin, s.testRule},
		{"PUT", "/api/v1/rules/{id}", admin, s.saveRule},
		{"DELETE", "/api/v1/rules/{id}", admin, s.deleteRule},
		{"GET", "/api/v1/rules/{id}/versions", admin, s.ruleVersions},
		{"GET", "/api/v1/rules/{id}/runs", admin, s.ruleRuns},
		{"GET", "/api/v1/templates", anyAgent, s.listTemplates},
		{"POST", "/api/v1/templates", supervisor, s.saveTemplate},
		{"POST", "/api/v1/templates/preview", anyAgent, s.previewTemplate},
		{"PUT", "/api/v1/templates/{id}", supervisor, s.saveTemplate},
		{"DELETE", "/api/v1/templates/{id}", supervisor, s.deleteTemplate},
		{"POST", "/api/v1/events", events, s.postEvent},
		{"GET", "/api/v1/events", anyAgent, s.listEvents},
		{"DELETE", "/api/v1/messages/{id}/schedule", anyAgent, s.cancelScheduled},
		// Approvals: supervisors, or the agents a channel names (the
		// desk checks who may approve which reply).
		{"GET", "/api/v1/approvals", anyAgent, s.listApprovals},
		{"POST", "/api/v1/messages/{id}/approve", anyAgent, s.approveReply},
		{"POST", "/api/v1/messages/{id}/return", anyAgent, s.returnReply},
		{"POST", "/api/v1/messages/{id}/moderate", anyAgent, s.moderate},
		{"POST", "/api/v1/tickets/{id}/public-check", anyAgent, s.publicCheck},
		{"POST", "/api/v1/tickets/{id}/take-private", anyAgent, s.takePrivate},
		{"GET", "/api/v1/campaigns", supervisor, s.listCampaigns},
		{"POST", "/api/v1/campaigns", supervisor, s.startCampaign},
		{"GET", "/api/v1/campaigns/{id}", supervisor, s.getCampaign},
		{"GET", "/api/v1/campaigns/{id}/recipients", supervisor, s.campaignRecipients},

		// Surveys: answers for supervisors, and the public page a survey
		// link opens (HTML; the signed token is the credential).
		{"GET", "/api/v1/surveys", supervisor, s.listSurveys},
		{"GET", "/survey/{token}", public, s.surveyPage},
		// The page at which a public post's author identifies (HTML; the
		// link's token, then the mailed code, are the credentials).
		{"GET", "/identify/{token}", public, s.identifyPage},
		{"POST", "/identify/{token}", public, s.answerIdentify},
		{"GET", "/identify/{token}/{code}", public, s.confirmPage},
		{"POST", "/identify/{token}/{code}", public, s.confirmIdentify},
		{"POST", "/survey/{token}", public, s.answerSurvey},

		// Webhooks out: subscriptions, their delivery log, redelivery.
		{"GET", "/api/v1/webhooks", admin, s.listWebhooks},
		{"POST", "/api/v1/webhooks", admin, s.createWebhook},
		{"GET", "/api/v1/webhooks/event-types", admin, s.webhookEventTypes},
		{"PATCH", "/api/v1/webhooks/{id}", admin, s.updateWebhook},
		{"DELETE", "/api/v1/webhooks/{id}", admin, s.deleteWebhook},
		{"GET", "/api/v1/webhooks/{id}/deliveries", admin, s.listWebhookDeliveries},
		{"POST", "/api/v1/webhook-deliveries/{id}/redeliver", admin, s.redeliverWebhookDelivery},

		// The front desk's visitor queue.
		{"POST", "/api/v1/visits", anyAgent, s.checkInVisitor},
		{"GET", "/api/v1/visits", anyAgent, s.listVisits},
		{"POST", "/api/v1/visits/next", anyAgent, s.callNextVisitor},
		{"POST", "/api/v1/visits/{id}/done", anyAgent, s.finishVisit},
		{"POST", "/api/v1/visits/{id}/no-show", anyAgent, s.noShowVisit},
	}
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mountAdapters(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errorf(http.StatusNotFound, "not_found", "no API route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path))
	})
	if s.help != nil {
		mux.Handle("/help", s.help)
		mux.Handle("/help/", s.help)
	}
	if s.widget != nil {
		mux.Handle("/widget/", s.widget)
	}
	if s.display != nil {
		mux.Handle("/desk/", s.display)
	}
	if s.web != nil {
		mux.Handle("/", s.web)
	}
	return s.timed(securityHeaders(mux))
}

// wrap authenticates the caller, checks the route's access rule and CSRF,
// runs the handler and writes its error.
func (s *Server) wrap(rt route) http.Handler {
	jsonBody, names := takesJSON(rt), pathNames(rt.path)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p *principal
		cleanRequestText(r, names)
		if jsonBody {
			if err := requireJSON(r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if (rt.path == "/api/v1/session" || rt.path == "/api/v1/session/two-factor") && r.Method == http.MethodPost {
			// Signing in is public but must not be forged by another site.
			if err := s.csrf.Check(r); err != nil {
				s.writeError(w, r, errorf(http.StatusForbidden, "csrf", "cross-origin request refused"))
				return
			}
		}
		if rt.access != public {
			var err error
			p, err = s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if p.cookie {
				// Only cookie-authenticated requests can be forged by
				// another site; bearer tokens are never sent implicitly.
				if err := s.csrf.Check(r); err != nil {
					s.writeError(w, r, errorf(http.StatusForbidden, "csrf", "cross-origin request refused"))
					return
				}
			}
			if p.enrolOnly && !enrolRoutes[rt.method+" "+rt.path] {
				s.writeError(w, r, errorf(http.StatusForbidden, "two_factor_required", "your role must sign in with two factors: set up an authenticator app in your profile first"))
				return
			}
			if !p.allowed(rt.access) {
				s.writeError(w, r, errorf(http.StatusForbidden, "forbidden", "your role (%s) may not do this", p.agent.Role))
				return
			}
		}
		if err := rt.handler(w, r, p); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// enrolRoutes are what an agent whose role requires two-factor sign-in may
// do before setting it up.
var enrolRoutes = map[string]bool{
	"GET /api/v1/session":                     true,
	"DELETE /api/v1/session":                  true,
	"POST /api/v1/session/two-factor/enrol":   true,
	"POST /api/v1/session/two-factor/confirm": true,
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("X-Frame-Options", "DENY")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ *principal) error {
	if !s.ready() {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
		return nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unreachable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": string(s.store.Dialect())})
	return nil
}

func viewerOf(p *principal) domain.Viewer { return p.agent.Viewer() }
