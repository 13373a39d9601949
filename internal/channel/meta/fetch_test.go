package meta

import (
	"context"
	"strings"
	"testing"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func TestFetch_DownloadsMediaAndCachesTheProfile(t *testing.T) {
	g := newFakeGraph(t)
	now := time.UnixMilli(1765105200000)
	a := Messenger(Config{Now: func() time.Time { return now }, ProfileTTL: time.Hour})
	ch := channelOn(g, KindMessenger)
	from := domain.Identity{Kind: domain.IdentityMessenger, Value: psid}
	in := &channel.Inbound{ExternalID: "m1", From: from, Attachments: []channel.Attachment{{Ref: g.srv.URL + "/cdn/v/label", Filename: "label"}}}
	if err := a.Fetch(context.Background(), ch, in); err != nil {
		t.Fatal(err)
	}
	att := in.Attachments[0]
	if string(att.Data) != jpeg || att.ContentType != "image/jpeg" || !strings.HasPrefix(att.Filename, "label.") {
		t.Errorf("attachment %q %s %d bytes", att.Filename, att.ContentType, len(att.Data))
	}
	if in.Name != "Jan Jansen" || in.Language != "nl" {
		t.Errorf("name %q language %q, want Jan Jansen in nl", in.Name, in.Language)
	}
	again := &channel.Inbound{ExternalID: "m2", From: from, Text: "nog iets"}
	if err := a.Fetch(context.Background(), ch, again); err != nil || again.Name != "Jan Jansen" || g.Profiles(psid) != 1 {
		t.Errorf("second fetch %q (%v) with %d lookups, want the cached name", again.Name, err, g.Profiles(psid))
	}
	now = now.Add(2 * time.Hour)
	if err := a.Fetch(context.Background(), ch, &channel.Inbound{From: from, Text: "later"}); err != nil || g.Profiles(psid) != 2 {
		t.Errorf("fetch after the cache time: %d lookups (%v), want a fresh one", g.Profiles(psid), err)
	}
}

func TestFetch_AFailedProfileLookupKeepsTheMessage(t *testing.T) {
	g := newFakeGraph(t)
	a := Messenger(Config{})
	stranger := domain.Identity{Kind: domain.IdentityMessenger, Value: "1234"}
	for range 2 {
		in := &channel.Inbound{ExternalID: "m1", From: stranger, Text: "hallo"}
		if err := a.Fetch(context.Background(), channelOn(g, KindMessenger), in); err != nil || in.Name != "" {
			t.Fatalf("fetch: name %q, err %v; want no name and no error", in.Name, err)
		}
	}
	if n := g.Profiles("1234"); n != 1 {
		t.Errorf("%d lookups, want the failure remembered", n)
	}
}

func TestFetch_InstagramNameFromItsProfile(t *testing.T) {
	g := newFakeGraph(t)
	in := &channel.Inbound{From: domain.Identity{Kind: domain.IdentityInstagram, Value: igsid}, Text: "hoi"}
	if err := Instagram(Config{}).Fetch(context.Background(), channelOn(g, KindInstagram), in); err != nil || in.Name != "Eva de Vries" || in.Language != "" {
		t.Errorf("name %q language %q (%v)", in.Name, in.Language, err)
	}
}

func TestFetch_MediaFailures(t *testing.T) {
	g := newFakeGraph(t)
	a := Messenger(Config{MaxMedia: 1024})
	ch := channelOn(g, KindMessenger)
	from := domain.Identity{Kind: domain.IdentityMessenger, Value: psid}
	gone := &channel.Inbound{ExternalID: "m1", From: from, Attachments: []channel.Attachment{{Ref: g.srv.URL + "/cdn/gone.jpg"}}}
	if err := a.Fetch(context.Background(), ch, gone); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("err %v, want the download's failure", err)
	}
	huge := &channel.Inbound{ExternalID: "m2", From: from, Text: "kijk", Attachments: []channel.Attachment{{Ref: g.srv.URL + "/cdn/huge.mov"}}}
	if err := a.Fetch(context.Background(), ch, huge); err != nil || len(huge.Attachments) != 0 || !strings.Contains(huge.Text, "/cdn/huge.mov") {
		t.Errorf("too large: %v, %d attachments, text %q; want the link in the text instead", err, len(huge.Attachments), huge.Text)
	}
}
