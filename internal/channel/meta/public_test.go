package meta

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

func TestSend_PublicReplyAnswersTheComment(t *testing.T) {
	tests := []struct {
		name, kind, replyTo string
		to                  domain.Identity
		wantNode, wantID    string
	}{
		{"Facebook comments under the comment", KindMessenger, topComment, domain.Identity{Kind: domain.IdentityFacebook, Value: fbCommenter},
			topComment + "/comments", "122131676912594941_9000001"},
		{"Instagram replies to the comment", KindInstagram, igTop, domain.Identity{Kind: domain.IdentityInstagram, Value: igsid},
			igTop + "/replies", "18000000000000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			a := Messenger(Config{})
			if tt.kind == KindInstagram {
				a = Instagram(Config{})
			}
			out := outbound(channelOn(g, tt.kind), tt.to, &domain.Message{ID: 51, Text: "Wat vervelend! We sturen je een bericht."}, nil)
			out.Public, out.ReplyTo = true, tt.replyTo
			res, err := a.Send(context.Background(), out)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExternalID != tt.wantID || res.Identity != nil {
				t.Errorf("sent %+v, want id %s", res, tt.wantID)
			}
			want := []graphWrite{{Method: "POST", Node: tt.wantNode, Params: url.Values{"message": {"Wat vervelend! We sturen je een bericht."}}}}
			if w := g.Writes(); !reflect.DeepEqual(w, want) || len(g.Sends()) != 0 {
				t.Errorf("writes %+v and %d sends, want %+v", w, len(g.Sends()), want)
			}
		})
	}
}

func TestSend_PrivateReplyNamesTheMessengerID(t *testing.T) {
	tests := []struct {
		name, kind, comment, recipient string
		want                           domain.Identity
	}{
		{"Facebook: the commenter's PSID", KindMessenger, topComment, psid, domain.Identity{Kind: domain.IdentityMessenger, Value: psid}},
		{"Instagram: the commenter's IGSID", KindInstagram, igTop, igsid, domain.Identity{Kind: domain.IdentityInstagram, Value: igsid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			g.commentBy(tt.comment, tt.recipient)
			a := Messenger(Config{})
			if tt.kind == KindInstagram {
				a = Instagram(Config{})
			}
			out := outbound(channelOn(g, tt.kind), domain.Identity{Kind: domain.IdentityFacebook, Value: fbCommenter}, &domain.Message{ID: 52, Text: "Mag ik je ordernummer?"}, nil)
			out.PrivateReplyTo = tt.comment
			res, err := a.Send(context.Background(), out)
			if err != nil {
				t.Fatal(err)
			}
			if res.ExternalID != "m_sent-1" || res.Identity == nil || *res.Identity != tt.want {
				t.Fatalf("sent %+v (identity %v), want m_sent-1 reaching %v", res, res.Identity, tt.want)
			}
			sends := g.Sends()
			if len(sends) != 1 || sends[0].Path != pageID || sends[0].Recipient != (sendRecipient{CommentID: tt.comment}) || sends[0].MessagingType != "" ||
				string(sends[0].Message) != `{"text":"Mag ik je ordernummer?"}` {
				t.Fatalf("sends %+v, want one to the comment through the Page", sends)
			}
			// Meta allows one private reply per comment: a second is refused for good.
			_, err = a.Send(context.Background(), out)
			if !channel.IsPermanent(err) || !strings.Contains(err.Error(), "10900") {
				t.Errorf("second private reply: %v, want a permanent 10900", err)
			}
		})
	}
}

func TestSend_CommentRepliesRefuseWhatTheyCannotCarry(t *testing.T) {
	g := newFakeGraph(t)
	a := Messenger(Config{})
	ch := channelOn(g, KindMessenger)
	fb := domain.Identity{Kind: domain.IdentityFacebook, Value: fbCommenter}
	tests := []struct {
		name string
		out  *channel.Outbound
		want string
	}{
		{"a public reply with a file", func() *channel.Outbound {
			o := outbound(ch, fb, &domain.Message{ID: 1, Text: "Zie bijlage", Attachments: []domain.Attachment{{Filename: "a.pdf"}}}, nil)
			o.Public, o.ReplyTo = true, topComment
			return o
		}(), "text only"},
		{"a public reply to no comment", func() *channel.Outbound {
			o := outbound(ch, fb, &domain.Message{ID: 2, Text: "Hoi"}, nil)
			o.Public = true
			return o
		}(), "not a comment id"},
		{"an empty private reply", func() *channel.Outbound {
			o := outbound(ch, fb, &domain.Message{ID: 3, Text: "  "}, nil)
			o.PrivateReplyTo = topComment
			return o
		}(), "needs text"},
		{"a direct message to a commenter known only by comments", outbound(ch, fb, &domain.Message{ID: 4, Text: "Hoi"}, nil), "written to the Page in Messenger"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.Send(context.Background(), tt.out)
			if !channel.IsPermanent(err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want a permanent error about %q", err, tt.want)
			}
		})
	}
	if g.Attempts() != 0 {
		t.Errorf("%d calls to Meta, want none", g.Attempts())
	}
}

func TestSend_PublicReplyFailures(t *testing.T) {
	tests := []struct {
		name      string
		reply     graphReply
		permanent bool
	}{
		{"a deleted comment is permanent", graphErr(400, 100, 33, "Unsupported post request. Object with ID does not exist"), true},
		{"a missing permission is permanent", graphErr(403, 200, 0, "(#200) Requires pages_manage_engagement permission"), true},
		{"a rate limit is retried", graphErr(400, 32, 0, "Page request limit reached"), false},
		{"Meta's own failure is retried", graphReply{503, `{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","code":2}}`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			g.fail(tt.reply)
			out := outbound(channelOn(g, KindMessenger), domain.Identity{Kind: domain.IdentityFacebook, Value: fbCommenter}, &domain.Message{ID: 9, Text: "Hoi"}, nil)
			out.Public, out.ReplyTo = true, topComment
			_, err := Messenger(Config{}).Send(context.Background(), out)
			var ge *graphError
			if err == nil || !errors.As(err, &ge) || channel.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), "public reply to comment "+topComment) {
				t.Errorf("err %v: permanent %v, want %v with the comment named", err, channel.IsPermanent(err), tt.permanent)
			}
		})
	}
}

func TestModerate(t *testing.T) {
	tests := []struct {
		name, kind, comment string
		action              domain.Moderation
		want                graphWrite
	}{
		{"Facebook hides", KindMessenger, topComment, domain.ModerationHide, graphWrite{"POST", topComment, url.Values{"is_hidden": {"true"}}}},
		{"Facebook shows again", KindMessenger, topComment, domain.ModerationUnhide, graphWrite{"POST", topComment, url.Values{"is_hidden": {"false"}}}},
		{"Facebook deletes", KindMessenger, topComment, domain.ModerationDelete, graphWrite{"DELETE", topComment, url.Values{}}},
		{"Instagram hides", KindInstagram, igTop, domain.ModerationHide, graphWrite{"POST", igTop, url.Values{"hide": {"true"}}}},
		{"Instagram shows again", KindInstagram, igTop, domain.ModerationUnhide, graphWrite{"POST", igTop, url.Values{"hide": {"false"}}}},
		{"Instagram deletes", KindInstagram, igTop, domain.ModerationDelete, graphWrite{"DELETE", igTop, url.Values{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			a := Messenger(Config{})
			if tt.kind == KindInstagram {
				a = Instagram(Config{})
			}
			if err := a.Moderate(context.Background(), channelOn(g, tt.kind), tt.comment, tt.action); err != nil {
				t.Fatal(err)
			}
			if w := g.Writes(); len(w) != 1 || !reflect.DeepEqual(w[0], tt.want) {
				t.Errorf("writes %+v, want %+v", w, tt.want)
			}
		})
	}
}

func TestModerate_Failures(t *testing.T) {
	g := newFakeGraph(t)
	a := Messenger(Config{})
	ch := channelOn(g, KindMessenger)
	var de *domain.Error
	if err := a.Moderate(context.Background(), ch, "../me", domain.ModerationHide); !errors.As(err, &de) || de.Code != "invalid_comment_id" {
		t.Errorf("a path for a comment id: %v, want invalid_comment_id", err)
	}
	if err := a.Moderate(context.Background(), ch, topComment, "pin"); !errors.As(err, &de) || de.Code != "invalid_moderation" {
		t.Errorf("pin: %v, want invalid_moderation", err)
	}
	g.fail(graphErr(400, 100, 33, "Unsupported delete request. Object with ID does not exist"), graphErr(400, 4, 0, "Application request limit reached"),
		graphReply{200, `{"success":false}`})
	err := a.Moderate(context.Background(), ch, topComment, domain.ModerationDelete)
	if !channel.IsPermanent(err) || !strings.Contains(err.Error(), "delete Messenger comment "+topComment) {
		t.Errorf("gone: %v, want permanent with the comment named", err)
	}
	if err := a.Moderate(context.Background(), ch, topComment, domain.ModerationHide); err == nil || channel.IsPermanent(err) {
		t.Errorf("rate limited: %v, want retryable", err)
	}
	if err := a.Moderate(context.Background(), ch, topComment, domain.ModerationHide); err == nil || !strings.Contains(err.Error(), "success") {
		t.Errorf("no success: %v, want an error", err)
	}
	if len(g.Writes()) != 0 {
		t.Errorf("writes %+v, want none", g.Writes())
	}
}

func TestCapabilities_CommentsOnBothKinds(t *testing.T) {
	for _, a := range []*Adapter{Messenger(Config{}), Instagram(Config{})} {
		c := a.Capabilities()
		b, _ := json.Marshal(c.Moderation)
		if !c.Public || !c.PrivateReplies || string(b) != `["hide","unhide","delete"]` {
			t.Errorf("%s: %+v", a.Kind(), c)
		}
	}
	if ids := Messenger(Config{}).Capabilities().Identities; !reflect.DeepEqual(ids, []domain.IdentityKind{domain.IdentityMessenger, domain.IdentityFacebook}) {
		t.Errorf("messenger reaches %v", ids)
	}
}

func TestFetch_CommentsGetTheirPostOnce(t *testing.T) {
	tests := []struct {
		name, kind, fixture, post string
		want                      domain.PublicPost
	}{
		{"Instagram: the media's caption and link, which is also the comment's", KindInstagram, "instagram_comment.json", igMedia,
			domain.PublicPost{URL: "https://www.instagram.com/p/DAbCdEfGhIj/", AuthorURL: "https://www.instagram.com/eva.nl/", PostID: igMedia,
				PostText: "Nieuw binnen: de winterjas.", PostURL: "https://www.instagram.com/p/DAbCdEfGhIj/"}},
		{"Facebook: the post's text", KindMessenger, "messenger_comment.json", postID,
			domain.PublicPost{URL: "https://www.facebook.com/" + topComment, PostID: postID, PostText: "Onze kerstactie is begonnen!", PostURL: postURL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGraph(t)
			a := Messenger(Config{})
			if tt.kind == KindInstagram {
				a = Instagram(Config{})
			}
			ch := channelOn(g, tt.kind)
			b, err := a.Parse(ch, "application/json", fixture(t, tt.fixture), "NL")
			if err != nil || len(b.Messages) == 0 {
				t.Fatalf("parse: %v %+v", err, b)
			}
			for _, in := range b.Messages {
				if err := a.Fetch(context.Background(), ch, in); err != nil {
					t.Fatal(err)
				}
			}
			if got := *b.Messages[0].Public; got != tt.want {
				t.Errorf("post\n got %+v\nwant %+v", got, tt.want)
			}
			if n := g.Profiles(tt.post); n != 1 {
				t.Errorf("%d lookups of the post for %d comments, want 1", n, len(b.Messages))
			}
			if n := g.Profiles(psid) + g.Profiles(igsid) + g.Profiles(fbCommenter); n != 0 {
				t.Errorf("%d profile lookups of commenters, want none", n)
			}
		})
	}
}

func TestFetch_APostLookupThatFailsKeepsTheComment(t *testing.T) {
	g := newFakeGraph(t)
	a := Messenger(Config{})
	ch := channelOn(g, KindMessenger)
	body := strings.ReplaceAll(string(fixture(t, "messenger_comment.json")), postID, "104523987654321_999")
	b, err := a.Parse(ch, "application/json", []byte(body), "NL")
	if err != nil {
		t.Fatal(err)
	}
	in := b.Messages[0]
	if err := a.Fetch(context.Background(), ch, in); err != nil {
		t.Fatalf("fetch: %v, want the comment kept", err)
	}
	if in.Public.PostText != "" || in.Public.PostURL != postURL || in.Text == "" {
		t.Errorf("post %+v", in.Public)
	}
	a.Fetch(context.Background(), ch, in)
	if n := g.Profiles("104523987654321_999"); n != 1 {
		t.Errorf("%d lookups, want the failure remembered", n)
	}
}
