package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// TemplateTTL is how long a channel's template list is reused before it is
// asked of Meta again: the composer asks on every open, and a newly
// approved template shows within minutes.
const TemplateTTL = 5 * time.Minute

// maxTemplatePages bounds following the list's next links.
const maxTemplatePages = 50

type cachedTemplates struct {
	key     string // what the list was read with; a change of settings reads again
	list    []channel.Template
	fetched time.Time
}

// Templates implements channel.Templater: the approved templates of the
// channel's WhatsApp Business Account.
func (a *Adapter) Templates(ctx context.Context, ch *domain.Channel) ([]channel.Template, error) {
	s, err := ParseSettings(ch.Settings)
	if err != nil {
		return nil, err
	}
	token := ch.Secrets[SecretAccessToken]
	key := s.APIBaseURL + "|" + s.APIVersion + "|" + s.WABAID + "|" + token
	now := a.now()
	a.mu.Lock()
	c, ok := a.templates[ch.ID]
	a.mu.Unlock()
	if ok && c.key == key && now.Sub(c.fetched) < TemplateTTL {
		return c.list, nil
	}
	list, err := a.listTemplates(ctx, s, token)
	if err != nil {
		return nil, fmt.Errorf("list whatsapp templates of channel %d: %w", ch.ID, err)
	}
	a.mu.Lock()
	a.templates[ch.ID] = cachedTemplates{key: key, list: list, fetched: now}
	a.mu.Unlock()
	return list, nil
}

// templatePage is one page of GET /{waba}/message_templates.
type templatePage struct {
	Data []struct {
		Name       string `json:"name"`
		Language   string `json:"language"`
		Status     string `json:"status"`
		Category   string `json:"category"`
		Components []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"components"`
	} `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

func (a *Adapter) listTemplates(ctx context.Context, s *Settings, token string) ([]channel.Template, error) {
	q := url.Values{"fields": {"name,language,status,category,components"}, "limit": {"100"}}
	next := s.endpoint(s.WABAID, "message_templates") + "?" + q.Encode()
	list := []channel.Template{}
	for page := 0; next != ""; page++ {
		if page == maxTemplatePages {
			return nil, fmt.Errorf("more than %d pages of templates", maxTemplatePages)
		}
		if !s.sameOrigin(next) {
			return nil, fmt.Errorf("the next page of templates is at another address: %s", redact(next))
		}
		var p templatePage
		if err := a.call(ctx, http.MethodGet, next, token, nil, "", &p); err != nil {
			return nil, err
		}
		for _, d := range p.Data {
			if d.Status != "APPROVED" {
				continue
			}
			t := channel.Template{Name: d.Name, Language: d.Language, Category: d.Category, Status: d.Status}
			for _, c := range d.Components {
				if c.Type == "BODY" {
					t.Body = c.Text
					t.Params = channel.TemplateParams(c.Text)
				}
			}
			list = append(list, t)
		}
		next = p.Paging.Next
	}
	return list, nil
}
