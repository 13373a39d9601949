package meta

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

const (
	fbCommenter = "7012345678901234"
	postID      = "104523987654321_122131676912594941"
	postURL     = "https://www.facebook.com/104523987654321/posts/122131676912594941"
	topComment  = "122131676912594941_1213590066982748"
	replyID     = "122131676912594941_1213590066982999"
	igTop       = "17865799348012345"
	igReply     = "17865799348012399"
	igMedia     = "18068841234567890"
)

func TestParse_Comments(t *testing.T) {
	m, ig := Messenger(Config{}), Instagram(Config{})
	fb := domain.Identity{Kind: domain.IdentityFacebook, Value: fbCommenter}
	igFrom := domain.Identity{Kind: domain.IdentityInstagram, Value: igsid}
	tests := []struct {
		name    string
		a       *Adapter
		ch      *domain.Channel
		fixture string
		replace []string
		want    *channel.Batch
	}{
		{"a comment under the Page's post is a public message of its own thread, with the post", m, messengerChannel(), "messenger_comment.json", nil,
			&channel.Batch{Messages: []*channel.Inbound{{ExternalID: topComment, From: fb, Name: "Jan Jansen",
				Text: "Mijn pakket is al een week onderweg, wat is er aan de hand?", Thread: topComment, ProviderAt: time.Unix(1765106398, 0),
				Public: &domain.PublicPost{URL: "https://www.facebook.com/" + topComment, PostID: postID, PostURL: postURL}}}}},
		{"a reply joins the comment it answers, and its photo is fetched", m, messengerChannel(), "messenger_comment_reply.json", []string{"{{PARENT}}", topComment},
			&channel.Batch{Messages: []*channel.Inbound{{ExternalID: replyID, From: fb, Name: "Jan Jansen",
				Text: "Bestelnummer 10442, graag snel.", Thread: topComment, ReplyTo: []string{topComment}, ProviderAt: time.Unix(1765106698, 0),
				Attachments: []channel.Attachment{{Ref: "https://cdn.example/photos/bon.jpg", Filename: "bon.jpg"}},
				Public:      &domain.PublicPost{URL: "https://www.facebook.com/" + replyID, PostID: postID, PostURL: postURL}}}}},
		{"a reply to a reply names that reply, whose ticket it joins", m, messengerChannel(), "messenger_comment_reply.json", []string{"{{PARENT}}", "122131676912594941_1213590066982900"},
			&channel.Batch{Messages: []*channel.Inbound{{ExternalID: replyID, From: fb, Name: "Jan Jansen",
				Text: "Bestelnummer 10442, graag snel.", Thread: "122131676912594941_1213590066982900", ReplyTo: []string{"122131676912594941_1213590066982900"},
				ProviderAt:  time.Unix(1765106698, 0),
				Attachments: []channel.Attachment{{Ref: "https://cdn.example/photos/bon.jpg", Filename: "bon.jpg"}},
				Public:      &domain.PublicPost{URL: "https://www.facebook.com/" + replyID, PostID: postID, PostURL: postURL}}}}},
		{"an edit and a removal change the comment; hiding, the Page's own comment, photos, reactions and authorless comments are skipped", m, messengerChannel(), "messenger_comment_changes.json", nil,
			&channel.Batch{Changes: []channel.Change{
				{ExternalID: topComment, Kind: channel.ChangeEdit, From: fb, Text: "Mijn pakket is al twee weken onderweg!"},
				{ExternalID: "122131676912594941_1213590066982555", Kind: channel.ChangeDelete, From: fb}}}},
		{"Instagram comments are from the Instagram-scoped id; a reply joins its comment; the account's own is skipped", ig, instagramChannel(), "instagram_comment.json", nil,
			&channel.Batch{Messages: []*channel.Inbound{
				{ExternalID: igTop, From: igFrom, Name: "@eva.nl", Text: "Is deze jas er ook in maat M?", Thread: igTop,
					Public: &domain.PublicPost{AuthorURL: "https://www.instagram.com/eva.nl/", PostID: igMedia}},
				{ExternalID: igReply, From: igFrom, Name: "@eva.nl", Text: "En in het blauw?", Thread: igTop, ReplyTo: []string{igTop},
					Public: &domain.PublicPost{AuthorURL: "https://www.instagram.com/eva.nl/", PostID: igMedia}}}}},
		{"a Page's comments mean nothing to an Instagram channel", ig, instagramChannel(), "messenger_comment.json", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fixture(t, tt.fixture, append([]string{"{{CDN}}", "https://cdn.example"}, tt.replace...)...)
			b, err := tt.a.Parse(tt.ch, "application/json", body, "NL")
			if tt.want == nil {
				var de *domain.Error
				if !errors.As(err, &de) || de.Code != "unknown_object" {
					t.Fatalf("err %v, want unknown_object", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Messages) != len(tt.want.Messages) {
				t.Fatalf("%d messages, want %d: %+v", len(b.Messages), len(tt.want.Messages), b.Messages)
			}
			for i, in := range b.Messages {
				if !reflect.DeepEqual(in, tt.want.Messages[i]) {
					t.Errorf("message %d:\n got %+v %+v\nwant %+v %+v", i, in, in.Public, tt.want.Messages[i], tt.want.Messages[i].Public)
				}
			}
			if !reflect.DeepEqual(b.Changes, tt.want.Changes) || len(b.Statuses) != 0 {
				t.Errorf("changes %+v, statuses %+v; want changes %+v", b.Changes, b.Statuses, tt.want.Changes)
			}
		})
	}
}

func TestParse_RefusesCommentsWithoutGraphIDs(t *testing.T) {
	tests := []struct {
		name string
		a    *Adapter
		ch   *domain.Channel
		body string
	}{
		{"a Facebook comment id with a space", Messenger(Config{}), messengerChannel(),
			`{"object":"page","entry":[{"id":"` + pageID + `","changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1 2","from":{"id":"1","name":"x"},"message":"hoi"}}]}]}`},
		{"a commenter id with a newline", Messenger(Config{}), messengerChannel(),
			`{"object":"page","entry":[{"id":"` + pageID + `","changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1_2","from":{"id":"1\n2"},"message":"hoi"}}]}]}`},
		{"a feed comment whose author is no object", Messenger(Config{}), messengerChannel(),
			`{"object":"page","entry":[{"id":"` + pageID + `","changes":[{"field":"feed","value":{"item":"comment","verb":"add","comment_id":"1_2","from":"me"}}]}]}`},
		{"an Instagram comment without an id", Instagram(Config{}), instagramChannel(),
			`{"object":"instagram","entry":[{"id":"` + igAccountID + `","changes":[{"field":"comments","value":{"from":{"id":"1","username":"a"},"text":"hoi"}}]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.a.Parse(tt.ch, "application/json", []byte(tt.body), "NL")
			var de *domain.Error
			if !errors.As(err, &de) || de.Code != "invalid_payload" {
				t.Errorf("err %v, want invalid_payload", err)
			}
		})
	}
}

func TestPostText_FitsWhatTheDeskKeeps(t *testing.T) {
	for _, s := range []string{"kort", strings.Repeat("é", 3000), strings.Repeat("a", 5000), strings.Repeat("🎄", 1500)} {
		got := postText(s)
		if p := (domain.PublicPost{PostText: got}); p.Validate() != nil || !utf8.ValidString(got) || (len(s) <= maxPostText) != (got == s) {
			t.Errorf("postText of %d bytes: %d bytes, valid %v", len(s), len(got), p.Validate())
		}
	}
}
