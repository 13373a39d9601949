package trustpilot

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/domain"
)

// listAnswer is the private business unit reviews' answer.
type listAnswer struct {
	Links   []link      `json:"links"`
	Reviews []apiReview `json:"reviews"`
}

type link struct {
	Href   string `json:"href"`
	Method string `json:"method"`
	Rel    string `json:"rel"`
}

// apiReview is one review as the private API gives it (fields Loket
// does not use left out).
type apiReview struct {
	ID       string `json:"id"`
	Stars    int    `json:"stars"`
	Title    string `json:"title"`
	Text     string `json:"text"`
	Language string `json:"language"`
	Consumer struct {
		ID          string `json:"id"`
		DisplayName string `json:"displayName"`
	} `json:"consumer"`
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`
	CompanyReply *struct {
		Text      string `json:"text"`
		CreatedAt string `json:"createdAt"`
		UpdatedAt string `json:"updatedAt"`
	} `json:"companyReply"`
	Links []link `json:"links"`
}

// parsePage reads one page of reviews and reports whether there may be
// more: a "next-page" link, or a full page.
func parsePage(body []byte, perPage int) ([]review.Review, bool, error) {
	var ans listAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, false, domain.Invalid("invalid_payload", "Trustpilot reviews page is not the documented JSON: "+err.Error())
	}
	out := make([]review.Review, 0, len(ans.Reviews))
	for _, a := range ans.Reviews {
		created, err := timestamp(a.CreatedAt)
		if err != nil {
			return nil, false, domain.Invalid("invalid_payload", fmt.Sprintf("Trustpilot review %.40q: createdAt: %v", a.ID, err))
		}
		updated, err := timestamp(a.UpdatedAt)
		if err != nil {
			return nil, false, domain.Invalid("invalid_payload", fmt.Sprintf("Trustpilot review %.40q: updatedAt: %v", a.ID, err))
		}
		if updated.IsZero() {
			updated = created
		}
		r := review.Review{
			ID:         a.ID,
			AuthorID:   a.Consumer.ID,
			AuthorName: a.Consumer.DisplayName,
			Rating:     a.Stars,
			Title:      a.Title,
			Text:       a.Text,
			Language:   a.Language,
			Created:    created,
			Updated:    updated,
			URL:        WebBaseURL + "/reviews/" + url.PathEscape(a.ID),
		}
		if a.Consumer.ID != "" {
			r.AuthorURL = WebBaseURL + "/users/" + url.PathEscape(a.Consumer.ID)
		}
		if a.CompanyReply != nil {
			at, _ := timestamp(a.CompanyReply.UpdatedAt)
			if at.IsZero() {
				at, _ = timestamp(a.CompanyReply.CreatedAt)
			}
			r.Reply = &review.Reply{Text: a.CompanyReply.Text, Updated: at}
		}
		out = append(out, r)
	}
	more := len(ans.Reviews) >= perPage
	for _, l := range ans.Links {
		if strings.EqualFold(l.Rel, "next-page") {
			more = true
		}
	}
	return out, more && len(ans.Reviews) > 0, nil
}

// timestamp reads Trustpilot's times, written with or without a zone
// ("2013-09-07T13:37:00" is UTC); empty is the zero time.
func timestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time", s)
}
