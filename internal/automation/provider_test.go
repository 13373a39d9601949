package automation

import (
	"reflect"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/sms"
	"loket.dev/loket/internal/channel/whatsapp"
	"loket.dev/loket/internal/domain"
)

// A provider template is filled in for channels that send such templates
// and left out for others.
func TestProviderTemplate(t *testing.T) {
	e := New(Config{Channels: channel.NewRegistry(whatsapp.New(whatsapp.Config{}), sms.New(sms.Config{}))})
	a := Action{Type: ActSendTemplate, Template: "order-delivery", ProviderTemplate: &channel.TemplateRef{Name: "order_update", Language: "nl",
		Params: []string{"{{.order.number}}", "{{.order.delivery_date | date}}"}}}
	if err := a.validate(); err != nil {
		t.Fatal(err)
	}
	f := Facts{"order": map[string]any{"number": "A-1", "delivery_date": "2026-12-09"}}
	got, err := e.providerTemplate(a, &domain.Channel{Kind: whatsapp.Kind}, f, "nl")
	want := &channel.TemplateRef{Name: "order_update", Language: "nl", Params: []string{"A-1", "9 december 2026"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("whatsapp: %+v, %v; want %+v", got, err, want)
	}
	if got, err := e.providerTemplate(a, &domain.Channel{Kind: sms.Kind}, f, "nl"); got != nil || err != nil {
		t.Errorf("sms: %+v, %v; want no provider template", got, err)
	}
	if _, err := e.providerTemplate(a, &domain.Channel{Kind: whatsapp.Kind}, Facts{}, "nl"); err == nil {
		t.Error("a parameter without its value filled in")
	}
	a.ProviderTemplate.Params = []string{"{{.order.number"}
	if err := a.validate(); err == nil {
		t.Error("a broken parameter template passed validation")
	}
}
