package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"loket.dev/loket/internal/automation"
	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
	"loket.dev/loket/internal/tasks"
)

// core is the automation core as serve.go wires it: the desk records a
// trigger task for every change the engine (through its webhook fanout)
// watches, and one task runner runs triggers and deliveries.
type core struct {
	desk    *desk.Desk
	runner  *tasks.Runner
	channel *domain.Channel
}

func newCore(t *testing.T, st *store.Store, svc *Service) *core {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	team := &domain.Team{Name: "Support"}
	if err := st.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	ch := &domain.Channel{Kind: api.Kind, Name: "Shop", TeamID: team.ID, Enabled: true, Settings: json.RawMessage("{}")}
	if err := st.CreateChannel(ctx, ch, fmt.Sprint("token-hash-", time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
	runner := tasks.NewRunner(st, log)
	engine := automation.New(automation.Config{Store: st, Log: log, TasksAdded: runner.Wake})
	d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: channel.NewRegistry(api.New()), Region: "NL", Log: log,
		Watcher: engine, TasksAdded: runner.Wake})
	t.Cleanup(d.Close)
	engine.Attach(d, svc)
	runner.Handle(desk.TaskTrigger, engine.HandleTrigger)
	runner.Handle(TaskKind, svc.Handle)
	return &core{desk: d, runner: runner, channel: ch}
}

// sent decodes the payloads a receiver got, by type.
func sent(t *testing.T, rc *receiver, secret string) map[string]payload {
	t.Helper()
	out := map[string]payload{}
	for _, r := range rc.requests() {
		if err := Verify(secret, r.header.Get(HeaderSignature), r.body, time.Now()); err != nil {
			t.Errorf("%s: %v", r.body, err)
		}
		var p payload
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatalf("payload %s: %v", r.body, err)
		}
		if r.header.Get(HeaderEvent) != p.Type {
			t.Errorf("%s is %s, the payload says %s", HeaderEvent, r.header.Get(HeaderEvent), p.Type)
		}
		if _, dup := out[p.Type]; dup {
			t.Errorf("%s delivered twice", p.Type)
		}
		out[p.Type] = p
	}
	return out
}

func TestFanout_ACustomerMessageReachesItsSubscribersOnceWithTicketMessageAndContact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc, _ := newService(t, st, true)
		c := newCore(t, st, svc)
		shop, breaches, off := newReceiver(t, 200), newReceiver(t, 200), newReceiver(t, 200)
		ws, err := svc.Create(ctx, "Ada", shop.URL, []string{"ticket.created", "message.received", "event"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Create(ctx, "Ada", breaches.URL, []string{"sla.breached"}); err != nil {
			t.Fatal(err)
		}
		wo, err := svc.Create(ctx, "Ada", off.URL, []string{"message.received"})
		if err != nil {
			t.Fatal(err)
		}
		no := false
		if _, err := svc.Update(ctx, "Ada", wo.ID, Change{Active: &no}); err != nil {
			t.Fatal(err)
		}

		from, _ := domain.NewIdentity(domain.IdentityEmail, "jan@example.nl", "NL")
		rcv, err := c.desk.Receive(ctx, &channel.Inbound{ChannelID: c.channel.ID, ExternalID: "m1", From: from, Name: "Jan", Text: "Where is my order?"})
		if err != nil {
			t.Fatal(err)
		}
		runTasks(t, st, c.runner)

		got := sent(t, shop, ws.Secret)
		if len(got) != 2 {
			t.Fatalf("the shop got %d events, want ticket.created and message.received", len(got))
		}
		created, msg := got["ticket.created"], got["message.received"]
		if created.Data.Ticket == nil || created.Data.Ticket.Number != rcv.Ticket.Number || created.Data.Contact == nil ||
			created.Data.Contact.ID != rcv.Contact.ID || created.Data.Message == nil || created.Data.Message.ID != rcv.Message.ID || created.CreatedAt == 0 {
			t.Errorf("ticket.created %+v", created)
		}
		if msg.Data.Message == nil || msg.Data.Message.Text != "Where is my order?" || msg.Data.Ticket == nil ||
			msg.Data.Contact == nil || len(msg.Data.Contact.Identities) == 0 || msg.Data.Contact.Identities[0].Value != "jan@example.nl" {
			t.Errorf("message.received %+v", msg)
		}
		if created.ID == msg.ID || created.ID == "" {
			t.Errorf("event ids %q and %q, want the two triggers'", created.ID, msg.ID)
		}
		if n := len(breaches.requests()) + len(off.requests()); n != 0 {
			t.Errorf("%d deliveries to webhooks that did not subscribe or are off", n)
		}

		// The trigger's task is run again (a rule failed): nothing new.
		triggerID, _ := strconv.ParseInt(msg.ID, 10, 64)
		if err := svc.Fanout(ctx, triggerID, domain.Trigger{Type: "message.received", TicketID: rcv.Ticket.ID, MessageID: rcv.Message.ID}); err != nil {
			t.Fatal(err)
		}
		if runs := runTasks(t, st, c.runner); runs != 0 || len(shop.requests()) != 2 {
			t.Fatalf("a repeated fanout ran %d tasks; the shop has %d requests", runs, len(shop.requests()))
		}
		log, err := st.WebhookDeliveries(ctx, ws.ID, 0, 10)
		if err != nil || len(log) != 2 || log[0].State != domain.WebhookDeliveryDelivered || log[0].TriggerID == 0 {
			t.Fatalf("the shop's log %+v, %v", log, err)
		}

		// An external event about the contact.
		ev := &domain.ContactEvent{Name: "order.placed", ContactID: rcv.Contact.ID, Data: map[string]any{"order": "A-1"}, Source: "shop"}
		if _, err := st.AddContactEvent(ctx, ev, "order-A-1"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Fanout(ctx, 9999, domain.Trigger{Type: "event", EventID: ev.ID, ContactID: rcv.Contact.ID, Name: ev.Name, At: 5}); err != nil {
			t.Fatal(err)
		}
		runTasks(t, st, c.runner)
		e := sent(t, shop, ws.Secret)["event"]
		if e.ID != "9999" || e.CreatedAt != 5 || e.Data.Event == nil || e.Data.Event.Name != "order.placed" || e.Data.Event.Data["order"] != "A-1" ||
			e.Data.Contact == nil || e.Data.Contact.ID != rcv.Contact.ID || e.Data.Ticket != nil {
			t.Errorf("event %+v", e)
		}

		// What was deleted since is left out rather than failing.
		if err := svc.Fanout(ctx, 10000, domain.Trigger{Type: "ticket.created", TicketID: rcv.Ticket.ID + 1000}); err != nil {
			t.Fatal(err)
		}
		runTasks(t, st, c.runner)
		reqs := shop.requests()
		var last payload
		if err := json.Unmarshal(reqs[len(reqs)-1].body, &last); err != nil || last.ID != "10000" || last.Data.Ticket != nil || last.Data.Contact != nil {
			t.Errorf("an event whose ticket is gone: %s (%v)", reqs[len(reqs)-1].body, err)
		}
	})
}
