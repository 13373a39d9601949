package domain

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// KBLanguages are the languages knowledge-base articles are written in.
var KBLanguages = []string{"en", "nl", "de"}

// ValidKBLanguage reports whether lang is one of KBLanguages.
func ValidKBLanguage(lang string) bool { return slices.Contains(KBLanguages, lang) }

// KBCategory is a node of the knowledge base's category tree, which the
// help center and the FAQ bot's guided search walk down.
type KBCategory struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id"` // 0: a root category
	Position int    `json:"position"`  // order among siblings, lowest first
	Slug     string `json:"slug"`
	// Names holds the category's name per language ("en", "nl", "de").
	Names     map[string]string `json:"names"`
	CreatedAt int64             `json:"created_at"`
	UpdatedAt int64             `json:"updated_at"`
}

// Name returns the category's name in lang, else in English, else any.
func (c *KBCategory) Name(lang string) string {
	if n := c.Names[lang]; n != "" {
		return n
	}
	if n := c.Names["en"]; n != "" {
		return n
	}
	for _, l := range KBLanguages {
		if n := c.Names[l]; n != "" {
			return n
		}
	}
	return c.Slug
}

// Normalize trims the category's fields, derives a missing slug from its
// name and checks what a user can get wrong.
func (c *KBCategory) Normalize() error {
	names := map[string]string{}
	for lang, n := range c.Names {
		if !ValidKBLanguage(lang) {
			return Invalid("invalid_language", fmt.Sprintf("names: unknown language %q; use en, nl or de", lang))
		}
		if n = strings.TrimSpace(n); n != "" {
			if utf8.RuneCountInString(n) > 120 {
				return Invalid("invalid_name", fmt.Sprintf("names.%s is longer than 120 characters", lang))
			}
			names[lang] = n
		}
	}
	if len(names) == 0 {
		return Invalid("missing_field", `names needs at least one language, e.g. {"en": "Orders"}`)
	}
	c.Names = names
	if c.ParentID < 0 {
		return Invalid("invalid_parent", "parent_id must be 0 (a root category) or the id of a category")
	}
	var err error
	if c.Slug, err = normalizeSlug(c.Slug, c.Name("en")); err != nil {
		return err
	}
	return nil
}

// ArticleStatus says whether customers can see an article.
type ArticleStatus string

// Article statuses.
const (
	ArticleDraft     ArticleStatus = "draft"
	ArticlePublished ArticleStatus = "published"
)

// Article is a knowledge-base entry in one language. Its body is Markdown.
// Only published articles reach the help center and the FAQ bot.
type Article struct {
	ID          int64         `json:"id"`
	CategoryID  int64         `json:"category_id"` // 0: not in a category
	Language    string        `json:"language"`
	Title       string        `json:"title"`
	Summary     string        `json:"summary"`
	Keywords    []string      `json:"keywords"`
	Body        string        `json:"body,omitempty"` // left out of search hits
	Status      ArticleStatus `json:"status"`
	Slug        string        `json:"slug"`
	URL         string        `json:"url"` // the public help-center path
	CreatedAt   int64         `json:"created_at"`
	UpdatedAt   int64         `json:"updated_at"`
	PublishedAt int64         `json:"published_at,omitempty"` // first publication
}

// Path returns the article's help-center path, "/help/<lang>/articles/<id>-<slug>".
func (a *Article) Path() string {
	return "/help/" + a.Language + "/articles/" + strconv.FormatInt(a.ID, 10) + "-" + a.Slug
}

// Article limits.
const (
	MaxArticleTitle   = 200
	MaxArticleSummary = 1000
	MaxArticleBody    = 256 << 10
	MaxKeywords       = 30
)

// Normalize trims the article's fields, derives a missing slug from its
// title, cleans the keywords and checks what a user can get wrong.
func (a *Article) Normalize() error {
	a.Title = strings.TrimSpace(a.Title)
	a.Summary = strings.TrimSpace(a.Summary)
	if !ValidKBLanguage(a.Language) {
		return Invalid("invalid_language", fmt.Sprintf("language %q is not supported; use en, nl or de", a.Language))
	}
	if a.Title == "" {
		return Invalid("missing_field", "title is required")
	}
	switch {
	case utf8.RuneCountInString(a.Title) > MaxArticleTitle:
		return Invalid("too_large", fmt.Sprintf("title is longer than %d characters", MaxArticleTitle))
	case utf8.RuneCountInString(a.Summary) > MaxArticleSummary:
		return Invalid("too_large", fmt.Sprintf("summary is longer than %d characters", MaxArticleSummary))
	case len(a.Body) > MaxArticleBody:
		return Invalid("too_large", fmt.Sprintf("body is larger than %d bytes", MaxArticleBody))
	case !utf8.ValidString(a.Title + a.Summary + a.Body):
		return Invalid("invalid_text", "title, summary and body must be valid UTF-8")
	}
	switch a.Status {
	case "":
		a.Status = ArticleDraft
	case ArticleDraft, ArticlePublished:
	default:
		return Invalid("invalid_status", fmt.Sprintf("status %q is unknown; use draft or published", a.Status))
	}
	if a.CategoryID < 0 {
		return Invalid("unknown_category", "category_id must be 0 (none) or the id of a category")
	}
	kws := make([]string, 0, len(a.Keywords))
	for _, k := range a.Keywords {
		k = strings.Join(strings.Fields(k), " ")
		if k == "" || slices.Contains(kws, k) {
			continue
		}
		if utf8.RuneCountInString(k) > 64 {
			return Invalid("invalid_keyword", fmt.Sprintf("keyword %q is longer than 64 characters", k))
		}
		kws = append(kws, k)
	}
	if len(kws) > MaxKeywords {
		return Invalid("invalid_keyword", fmt.Sprintf("at most %d keywords", MaxKeywords))
	}
	a.Keywords = kws
	var err error
	a.Slug, err = normalizeSlug(a.Slug, a.Title)
	return err
}

// ArticleHit is an article found by a search, without its body, with a
// relevance score between 0 and 1 and a short excerpt.
type ArticleHit struct {
	Article *Article `json:"article"`
	Score   float64  `json:"score"`
	Snippet string   `json:"snippet"`
}

// ArticleQuery asks the knowledge base for articles matching words.
type ArticleQuery struct {
	Text       string
	Language   string        // empty: any language
	CategoryID int64         // 0: any category
	Status     ArticleStatus // empty: published only
	AnyStatus  bool          // drafts and published alike (agents' lists)
	Limit      int
}

// ArticleFilter lists articles, without their bodies.
type ArticleFilter struct {
	Language   string
	CategoryID int64
	Status     ArticleStatus // empty: any
	// PerCategory caps the articles listed of each category (0: no cap);
	// articles in no category are not capped. An overview page shows a
	// few articles per category without loading them all.
	PerCategory int
	Limit       int
}

// normalizeSlug returns slug cleaned, or one made from fallback when it
// is empty.
func normalizeSlug(slug, fallback string) (string, error) {
	if strings.TrimSpace(slug) == "" {
		slug = Slugify(fallback)
		if slug == "" {
			slug = "article"
		}
		return slug, nil
	}
	s := Slugify(slug)
	if s != strings.TrimSpace(slug) {
		return "", Invalid("invalid_slug", fmt.Sprintf("slug %q may only hold lowercase letters a-z, digits and dashes, such as %q", slug, s))
	}
	return s, nil
}

// Slugify turns a title into a URL-friendly slug: lowercase ASCII letters,
// digits and single dashes, accents removed ("Rücksendung & Umtausch" →
// "rucksendung-umtausch"), at most 80 characters.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case r == 'ß':
			b.WriteString("ss")
			dash = false
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case unicode.Is(unicode.Mn, r):
			// a combining accent: drop it, keep the letter
		default:
			if b.Len() > 0 && !dash {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 80 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}
