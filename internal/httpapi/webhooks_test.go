package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/httpapi"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
	"loket.dev/loket/internal/tasks"
	"loket.dev/loket/internal/webhook"
)

// withWebhooks runs the webhook service on the server; allowPrivate lets
// it call the tests' own receivers on 127.0.0.1.
func withWebhooks(allowPrivate bool) func(*httpapi.Config) {
	return func(c *httpapi.Config) {
		c.Webhooks = webhook.New(webhook.Config{Store: c.Store, Events: c.Hub, AllowPrivate: allowPrivate})
	}
}

type webhookAnswer struct {
	domain.Webhook
	Secret *string `json:"secret"`
}

func TestWebhooks_AdminsAddChangeAndRemoveThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, withWebhooks(false))
		var created webhookAnswer
		e.do("POST", "/api/v1/webhooks", e.token, `{"url":"https://203.0.113.9/loket","events":["ticket.created","message.received"]}`, 201, &created)
		if created.Secret == nil || !strings.HasPrefix(*created.Secret, "whsec_") || !created.Active || len(created.Events) != 2 {
			t.Fatalf("created %+v", created)
		}
		var list struct{ Webhooks []webhookAnswer }
		e.do("GET", "/api/v1/webhooks", e.token, "", 200, &list)
		if len(list.Webhooks) != 1 || list.Webhooks[0].Secret != nil || list.Webhooks[0].URL != "https://203.0.113.9/loket" {
			t.Fatalf("list %+v", list)
		}
		var types struct {
			EventTypes []string `json:"event_types"`
		}
		e.do("GET", "/api/v1/webhooks/event-types", e.token, "", 200, &types)
		if strings.Join(types.EventTypes, ",") != strings.Join(webhook.EventTypes, ",") {
			t.Fatalf("event types %v", types.EventTypes)
		}
		var changed webhookAnswer
		path := fmt.Sprintf("/api/v1/webhooks/%d", created.ID)
		e.do("PATCH", path, e.token, `{"events":["sla.breached"],"active":false}`, 200, &changed)
		if changed.Active || len(changed.Events) != 1 || changed.Secret != nil || changed.URL != created.URL {
			t.Fatalf("changed %+v", changed)
		}
		e.do("PATCH", path, e.token, `{"active":true,"url":"https://203.0.113.10/"}`, 200, &changed)
		if !changed.Active || changed.URL != "https://203.0.113.10/" {
			t.Fatalf("changed %+v", changed)
		}
		var log struct{ Deliveries []domain.WebhookDelivery }
		e.do("GET", path+"/deliveries", e.token, "", 200, &log)
		if log.Deliveries == nil || len(log.Deliveries) != 0 {
			t.Fatalf("deliveries of a new webhook: %+v", log)
		}
		e.do("DELETE", path, e.token, "", 204, nil)
		e.do("DELETE", path, e.token, "", 404, nil)
		e.do("GET", path+"/deliveries", e.token, "", 404, nil)
	})
}

func TestWebhooks_BadInputIsRefusedWithACode(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite), withWebhooks(false))
	var w webhookAnswer
	e.do("POST", "/api/v1/webhooks", e.token, `{"url":"https://203.0.113.9/","events":["ticket.created"]}`, 201, &w)
	path := fmt.Sprintf("/api/v1/webhooks/%d", w.ID)
	agent := e.agentToken()
	supervisor := secret.Token("lkt")
	if err := e.st.CreateAPIToken(context.Background(), &store.APIToken{Name: "lead", Role: domain.RoleSupervisor}, secret.Hash(supervisor)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, token, contentType, body string
		status                                       int
		code                                         string
	}{
		{"no url", "POST", "/api/v1/webhooks", e.token, "", `{"events":["ticket.created"]}`, 422, "invalid_url"},
		{"not http", "POST", "/api/v1/webhooks", e.token, "", `{"url":"ftp://203.0.113.9/","events":["ticket.created"]}`, 422, "invalid_url"},
		{"relative url", "POST", "/api/v1/webhooks", e.token, "", `{"url":"/hook","events":["ticket.created"]}`, 422, "invalid_url"},
		{"credentials in the url", "POST", "/api/v1/webhooks", e.token, "", `{"url":"https://a:b@203.0.113.9/","events":["ticket.created"]}`, 422, "invalid_url"},
		{"loopback", "POST", "/api/v1/webhooks", e.token, "", `{"url":"http://127.0.0.1:8080/","events":["ticket.created"]}`, 422, "private_address"},
		{"localhost", "POST", "/api/v1/webhooks", e.token, "", `{"url":"http://localhost/","events":["ticket.created"]}`, 422, "private_address"},
		{"cloud metadata", "POST", "/api/v1/webhooks", e.token, "", `{"url":"http://169.254.169.254/latest/","events":["ticket.created"]}`, 422, "private_address"},
		{"no events", "POST", "/api/v1/webhooks", e.token, "", `{"url":"https://203.0.113.9/","events":[]}`, 422, "invalid_events"},
		{"unknown event", "POST", "/api/v1/webhooks", e.token, "", `{"url":"https://203.0.113.9/","events":["ticket.deleted"]}`, 422, "unknown_event_type"},
		{"events not a list", "POST", "/api/v1/webhooks", e.token, "", `{"url":"https://203.0.113.9/","events":"ticket.created"}`, 400, "invalid_json"},
		{"unknown field", "POST", "/api/v1/webhooks", e.token, "", `{"url":"https://203.0.113.9/","events":["ticket.created"],"secret":"mine"}`, 400, "invalid_json"},
		{"not JSON", "POST", "/api/v1/webhooks", e.token, "text/plain", `url=https://203.0.113.9/`, 415, "unsupported_media_type"},
		{"empty body", "POST", "/api/v1/webhooks", e.token, "", ``, 400, "invalid_json"},
		{"agents may not list", "GET", "/api/v1/webhooks", agent, "", "", 403, "forbidden"},
		{"supervisors may not add", "POST", "/api/v1/webhooks", supervisor, "", `{"url":"https://203.0.113.9/","events":["ticket.created"]}`, 403, "forbidden"},
		{"supervisors may not read deliveries", "GET", path + "/deliveries", supervisor, "", "", 403, "forbidden"},
		{"no token", "GET", "/api/v1/webhooks/event-types", "", "", "", 401, "unauthenticated"},
		{"change a missing webhook", "PATCH", "/api/v1/webhooks/9999", e.token, "", `{"active":false}`, 404, "not_found"},
		{"change webhook abc", "PATCH", "/api/v1/webhooks/abc", e.token, "", `{"active":false}`, 404, "not_found"},
		{"change to a private url", "PATCH", path, e.token, "", `{"url":"http://10.0.0.8/"}`, 422, "private_address"},
		{"change to an unknown event", "PATCH", path, e.token, "", `{"events":["nope"]}`, 422, "unknown_event_type"},
		{"change to no events", "PATCH", path, e.token, "", `{"events":[]}`, 422, "invalid_events"},
		{"active not a boolean", "PATCH", path, e.token, "", `{"active":"yes"}`, 400, "invalid_json"},
		{"remove webhook 0", "DELETE", "/api/v1/webhooks/0", e.token, "", "", 404, "not_found"},
		{"deliveries of a missing webhook", "GET", "/api/v1/webhooks/9999/deliveries", e.token, "", "", 404, "not_found"},
		{"a page too large", "GET", path + "/deliveries?limit=500", e.token, "", "", 400, "invalid_query"},
		{"a page size that is not a number", "GET", path + "/deliveries?limit=ten", e.token, "", "", 400, "invalid_query"},
		{"a negative cursor", "GET", path + "/deliveries?before=-1", e.token, "", "", 400, "invalid_query"},
		{"redeliver a missing delivery", "POST", "/api/v1/webhook-deliveries/9999/redeliver", e.token, "", "", 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.srv.URL+tt.path, strings.NewReader(tt.body))
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			ct := tt.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || errCode(t, resp, b) != tt.code {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, b, tt.status, tt.code)
			}
		})
	}
	var after webhookAnswer
	e.do("GET", "/api/v1/webhooks", e.token, "", 200, nil)
	e.do("PATCH", path, e.token, `{}`, 200, &after)
	if !after.Active || after.URL != "https://203.0.113.9/" || len(after.Events) != 1 {
		t.Fatalf("refused changes changed the webhook: %+v", after)
	}
}

func TestWebhooks_ChangesAnswer503WithoutTheService(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	e.do("POST", "/api/v1/webhooks", e.token, `{"url":"https://203.0.113.9/","events":["ticket.created"]}`, 503, nil)
	e.do("GET", "/api/v1/webhooks", e.token, "", 200, nil)
}

func TestStream_WebhookDisabledReachesAdminsOnly(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	supervisor := secret.Token("lkt")
	if err := e.st.CreateAPIToken(context.Background(), &store.APIToken{Name: "lead", Role: domain.RoleSupervisor}, secret.Hash(supervisor)); err != nil {
		t.Fatal(err)
	}
	admin := dial(t, e.srv.URL, e.token)
	lead := dial(t, e.srv.URL, supervisor)
	e.hub.Publish(
		domain.Event{Type: domain.EventWebhookDisabled, Webhook: &domain.Webhook{ID: 4, URL: "https://shop.example/x", DisabledReason: "turned off"}},
		domain.Event{Type: domain.EventAgentUpdated, AssigneeID: 1},
	)
	var ev domain.Event
	readJSON(t, admin, &ev)
	if ev.Type != domain.EventWebhookDisabled || ev.Webhook == nil || ev.Webhook.ID != 4 || ev.Webhook.DisabledReason != "turned off" {
		t.Fatalf("the admin's first event: %+v", ev)
	}
	readJSON(t, lead, &ev)
	if ev.Type != domain.EventAgentUpdated {
		t.Fatalf("the supervisor's first event is %s, want agent.updated (webhook.disabled is for admins)", ev.Type)
	}
}

func TestWebhooks_TheDeliveryLogShowsAttemptsAndRedeliversThroughTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var svc *webhook.Service
		runner := tasks.NewRunner(st, slog.New(slog.DiscardHandler))
		e := newEnv(t, st, func(c *httpapi.Config) {
			svc = webhook.New(webhook.Config{Store: c.Store, AllowPrivate: true, Wake: runner.Wake})
			c.Webhooks = svc
		})
		runner.Handle(webhook.TaskKind, svc.Handle)
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { runner.Worker().Run(ctx); close(done) }()
		t.Cleanup(func() { stop(); <-done })

		var mu sync.Mutex
		var bodies []string
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			bodies = append(bodies, string(b))
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"queued":true}`)
		}))
		t.Cleanup(receiver.Close)
		var w webhookAnswer
		e.do("POST", "/api/v1/webhooks", e.token, fmt.Sprintf(`{"url":%q,"events":["ticket.created"]}`, receiver.URL), 201, &w)
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"Hello"}`, 201)
		if err := svc.Fanout(context.Background(), 41, domain.Trigger{Type: "ticket.created", TicketID: a.Ticket.ID, At: 1}); err != nil {
			t.Fatal(err)
		}
		var log struct{ Deliveries []map[string]any }
		path := fmt.Sprintf("/api/v1/webhooks/%d/deliveries", w.ID)
		eventually.True(t, "the delivery is made", func() bool {
			e.do("GET", path, e.token, "", 200, &log)
			return len(log.Deliveries) == 1 && log.Deliveries[0]["state"] == "delivered"
		})
		d := log.Deliveries[0]
		if d["response_status"] != float64(202) || d["response_body"] != `{"queued":true}` || d["error"] != "" || d["attempts"] != float64(1) ||
			d["event_type"] != "ticket.created" || d["trigger_id"] != float64(41) {
			t.Fatalf("delivery %v", d)
		}
		if p, _ := d["payload"].(map[string]any); p["id"] != "41" || p["type"] != "ticket.created" {
			t.Fatalf("payload %v", d["payload"])
		}

		var again domain.WebhookDelivery
		e.do("POST", fmt.Sprintf("/api/v1/webhook-deliveries/%v/redeliver", d["id"]), e.token, "", 202, &again)
		if again.RedeliveryOf != int64(d["id"].(float64)) || again.State != domain.WebhookDeliveryPending {
			t.Fatalf("redelivery %+v", again)
		}
		eventually.True(t, "the redelivery is made", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(bodies) == 2
		})
		if bodies[0] != bodies[1] {
			t.Errorf("the redelivery sent %s, the first %s", bodies[1], bodies[0])
		}
		e.do("GET", path+"?limit=1", e.token, "", 200, &log)
		if len(log.Deliveries) != 1 || log.Deliveries[0]["id"] != float64(again.ID) {
			t.Fatalf("the newest page of one: %v", log.Deliveries)
		}
		e.do("PATCH", fmt.Sprintf("/api/v1/webhooks/%d", w.ID), e.token, `{"active":false}`, 200, nil)
		e.do("POST", fmt.Sprintf("/api/v1/webhook-deliveries/%d/redeliver", again.ID), e.token, "", 422, nil)
	})
}
