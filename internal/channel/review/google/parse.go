package google

import (
	"encoding/json"
	"fmt"
	"time"

	"loket.dev/loket/internal/channel/review"
	"loket.dev/loket/internal/domain"
)

// listAnswer is accounts.locations.reviews.list's answer.
type listAnswer struct {
	Reviews          []apiReview `json:"reviews"`
	AverageRating    float64     `json:"averageRating"`
	TotalReviewCount int         `json:"totalReviewCount"`
	NextPageToken    string      `json:"nextPageToken"`
}

// apiReview is the API's Review resource.
type apiReview struct {
	Name     string `json:"name"` // accounts/{a}/locations/{l}/reviews/{reviewId}
	ReviewID string `json:"reviewId"`
	Reviewer struct {
		DisplayName     string `json:"displayName"`
		ProfilePhotoURL string `json:"profilePhotoUrl"`
		IsAnonymous     bool   `json:"isAnonymous"`
	} `json:"reviewer"`
	StarRating  string `json:"starRating"`
	Comment     string `json:"comment"`
	CreateTime  string `json:"createTime"`
	UpdateTime  string `json:"updateTime"`
	ReviewReply *struct {
		Comment    string `json:"comment"`
		UpdateTime string `json:"updateTime"`
	} `json:"reviewReply"`
}

// stars maps the StarRating enum; STAR_RATING_UNSPECIFIED and anything
// unknown is 0 (no rating).
var stars = map[string]int{"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}

// parsePage reads one page of the list's answer. link is the location's
// reviews page, which every review links to.
func parsePage(body []byte, link string) ([]review.Review, string, error) {
	var ans listAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, "", domain.Invalid("invalid_payload", "Google reviews page is not the documented JSON: "+err.Error())
	}
	out := make([]review.Review, 0, len(ans.Reviews))
	for _, a := range ans.Reviews {
		created, err := timestamp(a.CreateTime)
		if err != nil {
			return nil, "", domain.Invalid("invalid_payload", fmt.Sprintf("Google review %.40q: createTime: %v", a.ReviewID, err))
		}
		updated, err := timestamp(a.UpdateTime)
		if err != nil {
			return nil, "", domain.Invalid("invalid_payload", fmt.Sprintf("Google review %.40q: updateTime: %v", a.ReviewID, err))
		}
		r := review.Review{
			ID:         a.ReviewID,
			AuthorName: a.Reviewer.DisplayName,
			Anonymous:  a.Reviewer.IsAnonymous,
			Rating:     stars[a.StarRating],
			Text:       a.Comment,
			Created:    created,
			Updated:    updated,
			URL:        link,
		}
		if r.Updated.IsZero() {
			r.Updated = r.Created
		}
		if a.ReviewReply != nil {
			at, _ := timestamp(a.ReviewReply.UpdateTime)
			r.Reply = &review.Reply{Text: a.ReviewReply.Comment, Updated: at}
		}
		out = append(out, r)
	}
	return out, ans.NextPageToken, nil
}

// timestamp reads Google's RFC 3339 times ("2014-10-02T15:01:23.045123456Z");
// empty is the zero time.
func timestamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}
