package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/kb"
	"loket.dev/loket/internal/store"
)

// Knowledge base: categories and articles (any agent reads, supervisors
// write), search, and articles suggested for a ticket.

type kbCategoryRequest struct {
	ParentID int64             `json:"parent_id"`
	Position int               `json:"position"`
	Slug     string            `json:"slug"`
	Names    map[string]string `json:"names"`
}

func (s *Server) listKBCategories(w http.ResponseWriter, r *http.Request, _ *principal) error {
	cats, err := s.store.KBCategories(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": cats})
	return nil
}

func (s *Server) saveKBCategory(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := optionalPathID(r)
	if err != nil {
		return err
	}
	var req kbCategoryRequest
	if err := decode(w, r, 16<<10, &req); err != nil {
		return err
	}
	c := &domain.KBCategory{ID: id, ParentID: req.ParentID, Position: req.Position, Slug: req.Slug, Names: req.Names}
	if err := s.audited(r, p, "kb_category.save", &c.ID, func(tx *store.Store) error { return tx.SaveKBCategory(r.Context(), c) }); err != nil {
		return err
	}
	writeJSON(w, createdOrOK(id), c)
	return nil
}

func (s *Server) deleteKBCategory(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.audited(r, p, "kb_category.delete", &id, func(tx *store.Store) error { return tx.DeleteKBCategory(r.Context(), id) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// audited runs change and records action on the audit log in one
// transaction. The target id is read after change, so that creating
// something records the new id.
func (s *Server) audited(r *http.Request, p *principal, action string, target *int64, change func(tx *store.Store) error) error {
	return s.store.Tx(r.Context(), func(tx *store.Store) error {
		if err := change(tx); err != nil {
			return err
		}
		return tx.Audit(r.Context(), p.agent.Name, action, strconv.FormatInt(*target, 10), "")
	})
}

// createdOrOK is the status of a save: 201 when it created (no id yet).
func createdOrOK(id int64) int {
	if id == 0 {
		return http.StatusCreated
	}
	return http.StatusOK
}

type articleRequest struct {
	CategoryID int64                `json:"category_id"`
	Language   string               `json:"language"`
	Title      string               `json:"title"`
	Summary    string               `json:"summary"`
	Keywords   []string             `json:"keywords"`
	Body       string               `json:"body"`
	Status     domain.ArticleStatus `json:"status"`
	Slug       string               `json:"slug"`
}

// kbLanguage reads an optional language query parameter.
func kbLanguage(r *http.Request) (string, error) {
	lang := r.URL.Query().Get("language")
	if lang != "" && !domain.ValidKBLanguage(lang) {
		return "", errorf(http.StatusBadRequest, "invalid_query", "language must be en, nl or de")
	}
	return lang, nil
}

// kbLimit reads the limit query parameter: 1 to max, def when absent.
func kbLimit(r *http.Request, def, max int) (int, error) {
	n, err := queryInt(r, "limit")
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return def, nil
	}
	if n < 1 || n > int64(max) {
		return 0, errorf(http.StatusBadRequest, "invalid_query", "limit must be between 1 and %d", max)
	}
	return int(n), nil
}

func (s *Server) listArticles(w http.ResponseWriter, r *http.Request, _ *principal) error {
	lang, err := kbLanguage(r)
	if err != nil {
		return err
	}
	cat, err := queryInt(r, "category_id")
	if err != nil {
		return err
	}
	limit, err := kbLimit(r, 100, 500)
	if err != nil {
		return err
	}
	status := domain.ArticleStatus(r.URL.Query().Get("status"))
	if status != "" && status != domain.ArticleDraft && status != domain.ArticlePublished {
		return errorf(http.StatusBadRequest, "invalid_query", "status must be draft or published")
	}
	var articles []*domain.Article
	if q := strings.TrimSpace(r.URL.Query().Get("q")); q != "" {
		hits, err := s.store.SearchArticles(r.Context(), domain.ArticleQuery{Text: q, Language: lang, CategoryID: cat, Status: status,
			AnyStatus: status == "", Limit: min(limit, 50)})
		if err != nil {
			return err
		}
		articles = make([]*domain.Article, len(hits))
		for i, h := range hits {
			articles[i] = h.Article
		}
	} else {
		articles, err = s.store.Articles(r.Context(), domain.ArticleFilter{Language: lang, CategoryID: cat, Status: status, Limit: limit})
		if err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"articles": articles})
	return nil
}

func (s *Server) getArticle(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.store.Article(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) saveArticle(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := optionalPathID(r)
	if err != nil {
		return err
	}
	var req articleRequest
	if err := decode(w, r, domain.MaxArticleBody+64<<10, &req); err != nil {
		return err
	}
	a := &domain.Article{ID: id, CategoryID: req.CategoryID, Language: req.Language, Title: req.Title, Summary: req.Summary,
		Keywords: req.Keywords, Body: req.Body, Status: req.Status, Slug: req.Slug}
	if a.Keywords == nil {
		a.Keywords = []string{}
	}
	if err := s.audited(r, p, "kb_article.save", &a.ID, func(tx *store.Store) error { return tx.SaveArticle(r.Context(), a) }); err != nil {
		return err
	}
	writeJSON(w, createdOrOK(id), a)
	return nil
}

func (s *Server) deleteArticle(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.audited(r, p, "kb_article.delete", &id, func(tx *store.Store) error { return tx.DeleteArticle(r.Context(), id) }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) searchKB(w http.ResponseWriter, r *http.Request, _ *principal) error {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return errorf(http.StatusBadRequest, "invalid_query", "q is required: the question to search for")
	}
	lang, err := kbLanguage(r)
	if err != nil {
		return err
	}
	limit, err := kbLimit(r, 10, 50)
	if err != nil {
		return err
	}
	hits, err := s.store.SearchArticles(r.Context(), domain.ArticleQuery{Text: q, Language: lang, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hits": hits})
	return nil
}

// suggestedArticles searches the published articles with the subject and
// latest customer messages of the ticket ticket_id, in the contact's
// language (guessed from the text when the contact has none).
func (s *Server) suggestedArticles(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := queryInt(r, "ticket_id")
	if err != nil {
		return err
	}
	if id <= 0 {
		return errorf(http.StatusBadRequest, "invalid_query", "ticket_id is required: the ticket to suggest articles for")
	}
	t, err := s.visibleTicket(r, p, id)
	if err != nil {
		return err
	}
	limit, err := kbLimit(r, 5, 20)
	if err != nil {
		return err
	}
	c, err := s.store.Contact(r.Context(), t.ContactID)
	if err != nil {
		return err
	}
	msgs, _, err := s.store.LastMessages(r.Context(), t.ID, 50)
	if err != nil {
		return err
	}
	text := []string{t.Subject}
	for i, n := len(msgs)-1, 0; i >= 0 && n < 3; i-- {
		if m := msgs[i]; m.Kind == domain.KindMessage && m.Direction == domain.DirectionIn {
			text = append(text, m.Text)
			n++
		}
	}
	question := strings.Join(text, "\n")
	lang := kb.Language(c.Language)
	if lang == "" {
		lang = kb.DetectLanguage(question, "en")
	}
	hits, err := s.store.SearchArticles(r.Context(), domain.ArticleQuery{Text: question, Language: lang, Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"hits": hits})
	return nil
}
