package webchat_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"loket.dev/loket/internal/blob"
	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestSendMessage_AnonymousVisitorGetsAFriendlyNameAndAPreChatNameWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		blobs, err := blob.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		reg := channel.NewRegistry()
		d := desk.New(desk.Config{Store: st, Blobs: blobs, Channels: reg, Region: "NL", Log: log})
		t.Cleanup(d.Close)
		a := webchat.New(webchat.Config{Desk: d, Store: st, Blobs: blobs, Log: log})
		reg.Register(a)
		ch := &domain.Channel{Kind: webchat.Kind, Name: "Chat", Enabled: true, Settings: json.RawMessage(`{"title":"Support"}`)}
		if err := st.CreateChannel(ctx, ch, "hash"); err != nil {
			t.Fatal(err)
		}
		settings := &webchat.Settings{Title: "Support"}
		say := func(name, page string) *domain.Contact {
			t.Helper()
			s, err := a.Start(ctx, ch, settings, &webchat.StartRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if name != "" {
				if _, err := a.SetProfile(ctx, ch, &webchat.ProfileRequest{Token: s.Token, Name: name}); err != nil {
					t.Fatal(err)
				}
			}
			sent, err := a.SendMessage(ctx, ch, &webchat.SendRequest{Token: s.Token, Text: "hello", Page: page})
			if err != nil {
				t.Fatal(err)
			}
			m, err := st.Message(ctx, sent.Message.ID)
			if err != nil {
				t.Fatal(err)
			}
			tk, err := st.Ticket(ctx, m.TicketID)
			if err != nil {
				t.Fatal(err)
			}
			c, err := st.Contact(ctx, tk.ContactID)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		anon := say("", "")
		if !regexp.MustCompile(`^Visitor \d{4}$`).MatchString(anon.Name) || anon.Name != webchat.VisitorName(anon.Identities[0].Value, "") {
			t.Fatalf("anonymous visitor named %q (identities %v), want Visitor and four digits", anon.Name, anon.Identities)
		}
		if onPage := say("", "/pricing?email=jan@example.nl"); !regexp.MustCompile(`^Visitor \d{4} · /pricing$`).MatchString(onPage.Name) {
			t.Fatalf("visitor on a page named %q", onPage.Name)
		}
		if named := say("Jan Jansen", "/pricing"); named.Name != "Jan Jansen" {
			t.Fatalf("visitor who gave a name is called %q", named.Name)
		}
	})
}

func TestVisitorName_IsStableAndShowsOnlyThePathOfThePage(t *testing.T) {
	tests := []struct{ page, want string }{
		{"", ""},
		{"/", ""},
		{"/bikes/gazelle?utm=x&email=a@b.c#top", " · /bikes/gazelle"},
		{"https://shop.example/help", " · /help"},
		{"/" + strings.Repeat("a", 100), " · /" + strings.Repeat("a", 58) + "…"},
		{"%zz", ""},
	}
	base := webchat.VisitorName("v1", "")
	if base != webchat.VisitorName("v1", "") || base == webchat.VisitorName("v2", "") && base == webchat.VisitorName("v3", "") {
		t.Fatalf("names not stable or not distinct: %q", base)
	}
	for _, tt := range tests {
		if got := webchat.VisitorName("v1", tt.page); got != base+tt.want {
			t.Errorf("page %q: %q, want %q", tt.page, got, base+tt.want)
		}
	}
}
