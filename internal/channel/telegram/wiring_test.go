package telegram

import (
	"encoding/json"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

// The adapter implements the contract's parts it claims, and the core's
// types satisfy the small interfaces it asks for, so serve.go passes them
// in directly.
var (
	_ channel.Adapter    = (*Adapter)(nil)
	_ channel.Parser     = (*Adapter)(nil)
	_ channel.Router     = (*Adapter)(nil)
	_ channel.Describer  = (*Adapter)(nil)
	_ channel.Checker    = (*Adapter)(nil)
	_ channel.Fetcher    = (*Adapter)(nil)
	_ channel.Webhooker  = (*Adapter)(nil)
	_ channel.Documenter = (*Adapter)(nil)
	_ channel.Runner     = (*Adapter)(nil)
	_ domain.Publisher   = (*Adapter)(nil)
	_ ChannelLister      = (*store.Store)(nil)
	_ channel.Locks      = (*store.Locker)(nil)
)

func TestOpenAPI_DocumentsTheWebhookInTheServersDescription(t *testing.T) {
	f := newFakeBot(t)
	e, _ := loket(t, storetest.Open(t, store.SQLite), f, "")
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	e.Do("GET", "/api/v1/openapi.json", "", 200, &doc)
	var op struct {
		Access   string `json:"x-loket-access"`
		Security []any  `json:"security"`
	}
	raw, ok := doc.Paths["/api/v1/telegram/{channel}/webhook"]["post"]
	if !ok || json.Unmarshal(raw, &op) != nil || op.Access != "public" || op.Security == nil || len(op.Security) != 0 {
		t.Errorf("webhook operation %+v (documented %v), want a public one without credentials", op, ok)
	}
	if _, ok := doc.Components.Schemas["TelegramUpdate"]; !ok {
		t.Error("no TelegramUpdate schema")
	}
}

func TestCapabilities(t *testing.T) {
	c := New(Config{}).Capabilities()
	if !c.Buttons || c.ReadReceipts || c.Typing || c.MaxLength != 4096 || !c.Attachments || len(c.Identities) != 1 || c.Identities[0] != domain.IdentityTelegram {
		t.Errorf("capabilities %+v", c)
	}
}
