package meta

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// Fetch implements channel.Fetcher: it downloads the message's media
// before Meta's links expire, and fills in the sender's name and
// language from the User Profile API. A failed download fails the
// message, which the core keeps as a dead letter and fetches again on
// retry; a failed profile lookup only leaves the name empty (the person
// may not have allowed it, or the app may lack the permission) and is
// logged.
func (a *Adapter) Fetch(ctx context.Context, ch *domain.Channel, in *channel.Inbound) error {
	kept := in.Attachments[:0]
	for _, att := range in.Attachments {
		if att.Ref != "" && att.Data == nil {
			err := a.download(ctx, &att)
			if errors.Is(err, errTooLarge) {
				in.Text = strings.TrimSpace(in.Text + fmt.Sprintf("\n[an attachment larger than %d MB was not kept: %s]", a.maxMedia>>20, att.Ref))
				continue
			}
			if err != nil {
				return fmt.Errorf("fetch %s attachment of message %s: %w", a.p.kind, in.ExternalID, err)
			}
		}
		kept = append(kept, att)
	}
	in.Attachments = kept
	if in.Public != nil {
		a.fillPost(ctx, ch, in.Public)
		// A commenter's id is no Messenger id the User Profile API
		// knows; the comment names them itself.
		return nil
	}
	if in.Name == "" || in.Language == "" {
		p := a.profile(ctx, ch, in.From.Value)
		if in.Name == "" {
			in.Name = p.name
		}
		if in.Language == "" {
			in.Language = p.language
		}
	}
	return nil
}

// errTooLarge is a download larger than the adapter keeps: the message is
// stored with a note and the link instead, as retrying cannot help.
var errTooLarge = errors.New("attachment too large")

// download fetches one attachment's URL, refusing more than maxMedia
// bytes. Meta's media URLs are signed CDN links: no token is sent.
func (a *Adapter) download(ctx context.Context, att *channel.Attachment) error {
	req, err := http.NewRequestWithContext(ctx, "GET", att.Ref, nil)
	if err != nil {
		return err
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("media download answered %s", resp.Status)
	}
	if resp.ContentLength > a.maxMedia {
		return errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, a.maxMedia+1))
	if err != nil {
		return fmt.Errorf("read media: %w", err)
	}
	if int64(len(data)) > a.maxMedia {
		return errTooLarge
	}
	ct, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		ct = http.DetectContentType(data)
		ct, _, _ = mime.ParseMediaType(ct)
	}
	att.Data, att.ContentType = data, ct
	if path.Ext(att.Filename) == "" {
		if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
			att.Filename += exts[0]
		}
	}
	return nil
}

// profileKey names a sender on one channel: ids are scoped to a Page.
type profileKey struct {
	channel int64
	id      string
}

type cachedProfile struct {
	name, language string
	until          time.Time
}

// maxProfiles bounds the cache; past it, expired entries are dropped,
// and if none expired, all of them.
const maxProfiles = 10000

// profile returns the sender's name and language, from the cache or the
// User Profile API. A failure is logged and remembered for a tenth of
// the cache time, so a Page without the permission is not asked for
// every message.
func (a *Adapter) profile(ctx context.Context, ch *domain.Channel, id string) cachedProfile {
	key := profileKey{ch.ID, id}
	now := a.now()
	a.mu.Lock()
	p, ok := a.profiles[key]
	a.mu.Unlock()
	if ok && now.Before(p.until) {
		return p
	}
	var got struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Locale    string `json:"locale"`
		Name      string `json:"name"`
		Username  string `json:"username"`
	}
	err := a.graph(ctx, ch, "GET", url.PathEscape(id), url.Values{"fields": {a.p.profileFields}}, "", nil, &got)
	if err != nil {
		a.log.Warn("sender profile lookup failed; the message is stored without a name", "kind", a.p.kind, "channel", ch.ID, "sender", id, "err", err)
		p = cachedProfile{until: now.Add(a.ttl / 10)}
	} else {
		p = cachedProfile{name: strings.TrimSpace(got.FirstName + " " + got.LastName), language: language(got.Locale), until: now.Add(a.ttl)}
		if p.name == "" {
			p.name = strings.TrimSpace(got.Name)
		}
		if p.name == "" && got.Username != "" {
			p.name = "@" + got.Username
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	evict(a.profiles, now, func(p cachedProfile) time.Time { return p.until })
	a.profiles[key] = p
	return p
}

// evict makes room in a full cache: expired entries go, and if none
// expired, all of them.
func evict[V any](m map[profileKey]V, now time.Time, until func(V) time.Time) {
	if len(m) < maxProfiles {
		return
	}
	for k, v := range m {
		if !now.Before(until(v)) {
			delete(m, k)
		}
	}
	if len(m) >= maxProfiles {
		clear(m)
	}
}

// cachedPost is what a post's lookup found: its text and link.
type cachedPost struct {
	text, link string
	until      time.Time
}

// fillPost completes what a comment's webhook leaves out about the post
// it is under: an Instagram media's link and caption (the link also
// serves as the comment's, which Instagram does not give), a Facebook
// post's text. A failed lookup (the app may lack the permission) is
// logged and leaves them empty; posts are cached like profiles, so a busy
// post is asked once.
func (a *Adapter) fillPost(ctx context.Context, ch *domain.Channel, p *domain.PublicPost) {
	if !commentID.MatchString(p.PostID) || (p.PostText != "" && p.PostURL != "" && p.URL != "") {
		return
	}
	key := profileKey{ch.ID, p.PostID}
	now := a.now()
	a.mu.Lock()
	c, ok := a.posts[key]
	a.mu.Unlock()
	if !ok || !now.Before(c.until) {
		fields := "message,permalink_url"
		if a.p.kind == KindInstagram {
			fields = "caption,permalink"
		}
		var got struct {
			Message      string `json:"message"`
			PermalinkURL string `json:"permalink_url"`
			Caption      string `json:"caption"`
			Permalink    string `json:"permalink"`
		}
		if err := a.graph(ctx, ch, "GET", p.PostID, url.Values{"fields": {fields}}, "", nil, &got); err != nil {
			a.log.Warn("post lookup failed; the comment is stored without its post's text", "kind", a.p.kind, "channel", ch.ID, "post", p.PostID, "err", err)
			c = cachedPost{until: now.Add(a.ttl / 10)}
		} else {
			c = cachedPost{text: strings.TrimSpace(got.Message + got.Caption), link: got.PermalinkURL + got.Permalink, until: now.Add(a.ttl)}
		}
		a.mu.Lock()
		evict(a.posts, now, func(c cachedPost) time.Time { return c.until })
		a.posts[key] = c
		a.mu.Unlock()
	}
	if p.PostText == "" {
		p.PostText = postText(c.text)
	}
	if link(c.link) {
		if p.PostURL == "" {
			p.PostURL = c.link
		}
		if p.URL == "" {
			p.URL = c.link
		}
	}
}

// language is the ISO 639-1 code of a Meta locale such as nl_NL.
func language(locale string) string {
	lang, _, _ := strings.Cut(locale, "_")
	lang = strings.ToLower(lang)
	if len(lang) != 2 || lang[0] < 'a' || lang[0] > 'z' || lang[1] < 'a' || lang[1] > 'z' {
		return ""
	}
	return lang
}
