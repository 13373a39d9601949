package httpapi_test

import (
	"fmt"
	"testing"

	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestSLA_CalendarsAndPoliciesShapeTicketDueTimes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.do("POST", "/api/v1/calendars", e.token, `{"name":"Office","config":{"time_zone":"Mars/Olympus","hours":{"mon":[{"start":"09:00","end":"17:00"}]}}}`, 422, nil)
		var cal store.Calendar
		e.do("POST", "/api/v1/calendars", e.token, `{"name":"Office","config":{"time_zone":"Europe/Amsterdam","hours":{"mon":[{"start":"09:00","end":"17:00"}]},"holidays":[{"date":"2000-12-25","yearly":true}]}}`, 201, &cal)
		e.do("PUT", fmt.Sprintf("/api/v1/calendars/%d", cal.ID), e.token, `{"name":"Office hours","config":{"time_zone":"Europe/Amsterdam","hours":{"tue":[{"start":"09:00","end":"17:00"}]}}}`, 200, nil)
		e.do("POST", "/api/v1/sla-policies", e.token, `{"name":"VIP","targets":{"high":{"first_response":30}}}`, 422, nil)
		e.do("POST", "/api/v1/sla-policies", e.token, `{"name":"VIP","targets":{"normal":{"first_response":-1}}}`, 422, nil)
		e.do("POST", "/api/v1/sla-policies", e.token, `{"name":"VIP","targets":{"normal":{"first_response":30}},"calendar_id":999}`, 422, nil)
		e.do("POST", "/api/v1/sla-policies", e.token, `{"name":"Urgent shop","conditions":{"channel_kinds":["api"]},"targets":{"normal":{"first_response":30,"resolution":240}}}`, 201, nil)
		var list struct {
			Policies []struct{ Name string }
			Defaults map[string]any
		}
		e.do("GET", "/api/v1/sla-policies", e.token, "", 200, &list)
		if len(list.Policies) != 1 || len(list.Defaults) != 3 {
			t.Fatalf("policies %+v", list)
		}
		a := e.post(`{"external_id":"1","from":{"email":"jan@example.nl"},"text":"help"}`, 201)
		var page store.TicketPage
		e.do("GET", "/api/v1/tickets?sort=due", e.token, "", 200, &page)
		if len(page.Tickets) != 1 || page.Tickets[0].ID != a.Ticket.ID || page.Tickets[0].SLAPolicy != "Urgent shop" ||
			page.Tickets[0].FirstResponseDue-page.Tickets[0].CreatedAt != 30*60*1000 {
			t.Fatalf("due list %+v", page.Tickets)
		}
		e.do("GET", "/api/v1/tickets?sort=oldest", e.token, "", 400, nil)
		e.do("GET", "/api/v1/tickets?breached=true", e.token, "", 200, &page)
		if len(page.Tickets) != 0 {
			t.Fatalf("a fresh ticket is listed as breached")
		}
	})
}

func TestSLA_ReplacingAMissingCalendarOrPolicyIsNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.do("PUT", "/api/v1/calendars/99", e.token, `{"name":"X","config":{"time_zone":"UTC","hours":{"mon":[{"start":"09:00","end":"17:00"}]}}}`, 404, nil)
		e.do("PUT", "/api/v1/sla-policies/99", e.token, `{"name":"X","targets":{"normal":{"first_response":30}}}`, 404, nil)
	})
}
