package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/kb"
)

// The knowledge base: categories, articles and their full-text search.
// Search terms come from package kb, so that questions and articles are
// cut into words, folded and stemmed alike on both databases; SQLite keeps
// them in the FTS5 table kb_fts, PostgreSQL in a weighted tsvector in the
// text search configuration of the article's language.

const categoryCols = "id, parent_id, position, slug, names, created_at, updated_at"

func scanCategory(row interface{ Scan(...any) error }) (*domain.KBCategory, error) {
	var c domain.KBCategory
	var parent nullInt
	var names string
	if err := row.Scan(&c.ID, &parent, &c.Position, &c.Slug, &names, &c.CreatedAt, &c.UpdatedAt); err != nil {
		return nil, err
	}
	c.ParentID = parent.Int64
	if err := json.Unmarshal([]byte(names), &c.Names); err != nil {
		return nil, fmt.Errorf("category %d names: %w", c.ID, err)
	}
	return &c, nil
}

// SaveKBCategory creates (ID 0) or updates a category after normalising
// it. A parent must exist and must not lie below the category itself.
func (s *Store) SaveKBCategory(ctx context.Context, c *domain.KBCategory) error {
	if err := c.Normalize(); err != nil {
		return err
	}
	if c.ParentID != 0 {
		all, err := s.KBCategories(ctx)
		if err != nil {
			return err
		}
		parent := map[int64]int64{}
		for _, x := range all {
			parent[x.ID] = x.ParentID
		}
		if _, ok := parent[c.ParentID]; !ok {
			return domain.Invalid("invalid_parent", fmt.Sprintf("parent category %d does not exist", c.ParentID))
		}
		for p, steps := c.ParentID, 0; p != 0 && steps <= len(all); p, steps = parent[p], steps+1 {
			if c.ID != 0 && p == c.ID {
				return domain.Invalid("invalid_parent", "a category cannot be placed inside itself or one of its subcategories")
			}
		}
	}
	names, _ := json.Marshal(c.Names)
	now := Now()
	c.UpdatedAt = now
	var err error
	if c.ID == 0 {
		c.CreatedAt = now
		err = s.q.QueryRowContext(ctx, `INSERT INTO kb_categories (parent_id, position, slug, names, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, nullID(c.ParentID), c.Position, c.Slug, string(names), now).Scan(&c.ID)
	} else {
		err = s.q.QueryRowContext(ctx, `UPDATE kb_categories SET parent_id = $2, position = $3, slug = $4, names = $5, updated_at = $6
			WHERE id = $1 RETURNING created_at`, c.ID, nullID(c.ParentID), c.Position, c.Slug, string(names), now).Scan(&c.CreatedAt)
	}
	if isForeignKey(err) {
		return domain.Invalid("invalid_parent", fmt.Sprintf("parent category %d does not exist", c.ParentID))
	}
	if err != nil {
		return notFound(fmt.Sprintf("save category %d", c.ID), err)
	}
	return nil
}

// DeleteKBCategory removes an empty category; one that still holds
// subcategories or articles is refused, so nothing is orphaned.
func (s *Store) DeleteKBCategory(ctx context.Context, id int64) error {
	var children, articles int64
	err := s.q.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM kb_categories WHERE parent_id = $1),
		(SELECT COUNT(*) FROM kb_articles WHERE category_id = $1)`, id).Scan(&children, &articles)
	if err != nil {
		return fmt.Errorf("delete category %d: %w", id, err)
	}
	if children > 0 || articles > 0 {
		return domain.Invalid("category_not_empty", fmt.Sprintf("category %d still holds %d subcategories and %d articles; move or delete them first", id, children, articles))
	}
	res, err := s.q.ExecContext(ctx, "DELETE FROM kb_categories WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete category %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("category %d", id))
}

// KBCategory loads one category.
func (s *Store) KBCategory(ctx context.Context, id int64) (*domain.KBCategory, error) {
	c, err := scanCategory(s.rq.QueryRowContext(ctx, "SELECT "+categoryCols+" FROM kb_categories WHERE id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("category %d", id), err)
	}
	return c, nil
}

// KBCategories lists every category, siblings in their order.
func (s *Store) KBCategories(ctx context.Context) ([]*domain.KBCategory, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+categoryCols+" FROM kb_categories ORDER BY COALESCE(parent_id, 0), position, id")
	out, err := scanAll(rows, err, scanCategory)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", err)
	}
	return out, nil
}

// scanAll reads every row of a query with scan and closes the rows; err
// is the query's own error, passed through.
func scanAll[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

const (
	articleCols = "a.id, a.category_id, a.language, a.title, a.summary, a.keywords, a.body, a.status, a.slug, a.created_at, a.updated_at, a.published_at"
	// articleListCols are articleCols with an empty body: lists show
	// titles and summaries, and a body may be 256 KiB.
	articleListCols = "a.id, a.category_id, a.language, a.title, a.summary, a.keywords, '', a.status, a.slug, a.created_at, a.updated_at, a.published_at"
)

func scanArticle(row interface{ Scan(...any) error }, extra ...any) (*domain.Article, error) {
	var a domain.Article
	var cat nullInt
	var kws string
	dest := append([]any{&a.ID, &cat, &a.Language, &a.Title, &a.Summary, &kws, &a.Body, &a.Status, &a.Slug, &a.CreatedAt, &a.UpdatedAt, &a.PublishedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	a.CategoryID = cat.Int64
	if err := json.Unmarshal([]byte(kws), &a.Keywords); err != nil {
		return nil, fmt.Errorf("article %d keywords: %w", a.ID, err)
	}
	a.URL = a.Path()
	return &a, nil
}

// SaveArticle creates (ID 0) or updates an article after normalising it,
// and brings its search terms up to date. PublishedAt is set the first
// time the article is published and kept after that.
func (s *Store) SaveArticle(ctx context.Context, a *domain.Article) error {
	if err := a.Normalize(); err != nil {
		return err
	}
	return s.Tx(ctx, func(tx *Store) error { return tx.saveArticle(ctx, a) })
}

func (s *Store) saveArticle(ctx context.Context, a *domain.Article) error {
	kws, _ := json.Marshal(a.Keywords)
	now := Now()
	a.UpdatedAt = now
	var err error
	if a.ID == 0 {
		a.CreatedAt = now
		if a.Status == domain.ArticlePublished {
			a.PublishedAt = now
		}
		err = s.q.QueryRowContext(ctx, `INSERT INTO kb_articles (category_id, language, title, summary, keywords, body, status, slug, created_at, updated_at, published_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING id`,
			nullID(a.CategoryID), a.Language, a.Title, a.Summary, string(kws), a.Body, a.Status, a.Slug, now, a.PublishedAt).Scan(&a.ID)
	} else {
		err = s.q.QueryRowContext(ctx, `UPDATE kb_articles SET category_id = $2, language = $3, title = $4, summary = $5, keywords = $6,
			body = $7, status = $8, slug = $9, updated_at = $10,
			published_at = CASE WHEN $8 = 'published' AND published_at = 0 THEN $10 ELSE published_at END
			WHERE id = $1 RETURNING created_at, published_at`,
			a.ID, nullID(a.CategoryID), a.Language, a.Title, a.Summary, string(kws), a.Body, a.Status, a.Slug, now).Scan(&a.CreatedAt, &a.PublishedAt)
	}
	if isForeignKey(err) {
		return domain.Invalid("unknown_category", fmt.Sprintf("category %d does not exist", a.CategoryID))
	}
	if err != nil {
		return notFound(fmt.Sprintf("save article %d", a.ID), err)
	}
	a.URL = a.Path()
	return s.indexArticle(ctx, a)
}

// textConfig is PostgreSQL's text search configuration per language.
var textConfig = map[string]string{"en": "english", "nl": "dutch", "de": "german"}

// textConfigExpr picks the configuration of each row's language in SQL.
const textConfigExpr = "(CASE a.language WHEN 'nl' THEN 'dutch'::regconfig WHEN 'de' THEN 'german'::regconfig ELSE 'english'::regconfig END)"

// indexArticle stores the search terms of a: title with keywords, summary
// and the body's plain text.
func (s *Store) indexArticle(ctx context.Context, a *domain.Article) error {
	fields := [3]string{a.Title + " " + strings.Join(a.Keywords, " "), a.Summary, kb.PlainText(a.Body)}
	var err error
	if s.dialect == Postgres {
		_, err = s.q.ExecContext(ctx, `UPDATE kb_articles SET search =
			setweight(to_tsvector($2::regconfig, $3), 'A') || setweight(to_tsvector($2::regconfig, $4), 'B') || setweight(to_tsvector($2::regconfig, $5), 'C')
			WHERE id = $1`, a.ID, textConfig[a.Language], kb.Fold(fields[0]), kb.Fold(fields[1]), kb.Fold(fields[2]))
	} else {
		if _, err = s.q.ExecContext(ctx, "DELETE FROM kb_fts WHERE rowid = $1", a.ID); err == nil {
			_, err = s.q.ExecContext(ctx, "INSERT INTO kb_fts (rowid, title, summary, body) VALUES ($1, $2, $3, $4)",
				a.ID, kb.IndexText(a.Language, fields[0]), kb.IndexText(a.Language, fields[1]), kb.IndexText(a.Language, fields[2]))
		}
	}
	if err != nil {
		return fmt.Errorf("index article %d: %w", a.ID, err)
	}
	return nil
}

// DeleteArticle removes an article and its search terms.
func (s *Store) DeleteArticle(ctx context.Context, id int64) error {
	return s.Tx(ctx, func(tx *Store) error {
		res, err := tx.q.ExecContext(ctx, "DELETE FROM kb_articles WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("delete article %d: %w", id, err)
		}
		if err := mustAffect(res, fmt.Sprintf("article %d", id)); err != nil {
			return err
		}
		if tx.dialect == SQLite {
			if _, err := tx.q.ExecContext(ctx, "DELETE FROM kb_fts WHERE rowid = $1", id); err != nil {
				return fmt.Errorf("delete article %d: %w", id, err)
			}
		}
		return nil
	})
}

// Article loads one article.
func (s *Store) Article(ctx context.Context, id int64) (*domain.Article, error) {
	a, err := scanArticle(s.rq.QueryRowContext(ctx, "SELECT "+articleCols+" FROM kb_articles a WHERE a.id = $1", id))
	if err != nil {
		return nil, notFound(fmt.Sprintf("article %d", id), err)
	}
	return a, nil
}

// maxArticleList caps one list of articles.
const maxArticleList = 500

// Articles lists the articles matching f, without their bodies, ordered
// by title.
func (s *Store) Articles(ctx context.Context, f domain.ArticleFilter) ([]*domain.Article, error) {
	where, args := articleWhere(f.Language, f.CategoryID, f.Status, true)
	limit := f.Limit
	if limit <= 0 || limit > maxArticleList {
		limit = maxArticleList
	}
	from := "kb_articles a WHERE " + where
	if f.PerCategory > 0 {
		// Number each category's articles by title and keep the first ones.
		args = append(args, f.PerCategory)
		from = "(SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.category_id ORDER BY a.title, a.id) AS n FROM kb_articles a WHERE " + where +
			fmt.Sprintf(") a WHERE a.n <= $%d OR a.category_id IS NULL", len(args))
	}
	args = append(args, limit)
	rows, err := s.rq.QueryContext(ctx, "SELECT "+articleListCols+" FROM "+from+fmt.Sprintf(" ORDER BY a.title, a.id LIMIT $%d", len(args)), args...)
	out, err := scanAll(rows, err, func(row interface{ Scan(...any) error }) (*domain.Article, error) { return scanArticle(row) })
	if err != nil {
		return nil, fmt.Errorf("list articles: %w", err)
	}
	return out, nil
}

// articleWhere builds the filter conditions on kb_articles a; with
// anyStatus an empty status matches drafts too, else only published.
func articleWhere(lang string, categoryID int64, status domain.ArticleStatus, anyStatus bool) (string, []any) {
	conds := []string{"1 = 1"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, fmt.Sprintf(cond, len(args)))
	}
	if lang != "" {
		add("a.language = $%d", lang)
	}
	if categoryID != 0 {
		add("a.category_id = $%d", categoryID)
	}
	switch {
	case status != "":
		add("a.status = $%d", string(status))
	case !anyStatus:
		add("a.status = $%d", string(domain.ArticlePublished))
	}
	return strings.Join(conds, " AND "), args
}

// SearchArticles finds the articles best answering q.Text (its first
// kb.MaxQuery characters); a question of stop words alone finds nothing
// without asking the database. When nothing matches, or the best article
// covers the question only in part, misspelt words are rewritten to the
// nearest word of the articles' titles and keywords and the search runs
// once more.
func (s *Store) SearchArticles(ctx context.Context, q domain.ArticleQuery) ([]domain.ArticleHit, error) {
	if q.Limit <= 0 || q.Limit > 50 {
		q.Limit = 10
	}
	q.Text = kb.CutQuery(q.Text)
	if len(kb.QueryTerms(q.Language, q.Text)) == 0 {
		return []domain.ArticleHit{}, nil
	}
	hits, err := s.searchArticles(ctx, q.Text, q)
	if err != nil || kb.Confident(hits) {
		return hits, err
	}
	vocab, err := s.kbVocabulary(ctx, q.Language)
	if err != nil {
		return nil, err
	}
	corrected, changed := vocab.Correct(q.Language, q.Text)
	if !changed {
		return hits, nil
	}
	better, err := s.searchArticles(ctx, corrected, q)
	if err != nil {
		return nil, err
	}
	if len(better) > 0 && (len(hits) == 0 || better[0].Score > hits[0].Score) {
		return better, nil
	}
	return hits, nil
}

// searchArticles runs one search: the database's full-text index finds
// and ranks candidates, package kb orders them.
func (s *Store) searchArticles(ctx context.Context, text string, q domain.ArticleQuery) ([]domain.ArticleHit, error) {
	where, args := articleWhere(q.Language, q.CategoryID, q.Status, q.AnyStatus)
	pool := min(max(q.Limit*4, 20), 60)
	var query string
	if s.dialect == Postgres {
		words := kb.QueryWords(q.Language, text)
		if len(words) == 0 {
			return []domain.ArticleHit{}, nil
		}
		cfg := textConfigExpr
		if q.Language != "" {
			cfg = "'" + textConfig[q.Language] + "'::regconfig"
		}
		args = append(args, kb.TSQuery(words))
		tsq := fmt.Sprintf("to_tsquery(%s, $%d)", cfg, len(args))
		query = "SELECT " + articleCols + ", ts_rank(a.search, " + tsq + ") AS rank FROM kb_articles a WHERE a.search @@ " + tsq +
			" AND " + where + fmt.Sprintf(" ORDER BY rank DESC, a.id LIMIT %d", pool)
	} else {
		terms := kb.QueryTerms(q.Language, text)
		if len(terms) == 0 {
			return []domain.ArticleHit{}, nil
		}
		args = append(args, kb.FTSQuery(terms))
		query = "SELECT " + articleCols + ", -bm25(kb_fts, 10.0, 4.0, 1.0) AS rank FROM kb_fts JOIN kb_articles a ON a.id = kb_fts.rowid" +
			fmt.Sprintf(" WHERE kb_fts MATCH $%d AND ", len(args)) + where + fmt.Sprintf(" ORDER BY rank DESC, a.id LIMIT %d", pool)
	}
	rows, err := s.rq.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search articles: %w", err)
	}
	defer rows.Close()
	var cands []kb.Candidate
	for rows.Next() {
		var rank float64
		a, err := scanArticle(rows, &rank)
		if err != nil {
			return nil, fmt.Errorf("search articles: %w", err)
		}
		cands = append(cands, kb.Candidate{Article: a, Rank: rank})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search articles: %w", err)
	}
	return kb.Rank(text, cands, q.Limit), nil
}

// vocabularies caches the titles' and keywords' vocabulary per database
// and language. An entry is rebuilt when the published articles change,
// which a cheap count and latest update time tell on every node.
var vocabularies = struct {
	sync.Mutex
	m map[string]*vocabEntry
}{m: map[string]*vocabEntry{}}

type vocabEntry struct {
	count, updated int64
	vocab          *kb.Vocabulary
}

func (s *Store) kbVocabulary(ctx context.Context, lang string) (*kb.Vocabulary, error) {
	var count, updated int64
	err := s.rq.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM kb_articles
		WHERE status = 'published' AND ($1 = '' OR language = $1)`, lang).Scan(&count, &updated)
	if err != nil {
		return nil, fmt.Errorf("article vocabulary: %w", err)
	}
	key := s.url + "\x00" + lang
	vocabularies.Lock()
	e := vocabularies.m[key]
	vocabularies.Unlock()
	if e != nil && e.count == count && e.updated == updated {
		return e.vocab, nil
	}
	rows, err := s.rq.QueryContext(ctx, `SELECT title, keywords FROM kb_articles WHERE status = 'published' AND ($1 = '' OR language = $1)`, lang)
	if err != nil {
		return nil, fmt.Errorf("article vocabulary: %w", err)
	}
	defer rows.Close()
	var texts []string
	for rows.Next() {
		var title, kws string
		if err := rows.Scan(&title, &kws); err != nil {
			return nil, fmt.Errorf("article vocabulary: %w", err)
		}
		texts = append(texts, title, kws)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("article vocabulary: %w", err)
	}
	e = &vocabEntry{count: count, updated: updated, vocab: kb.NewVocabulary(texts)}
	vocabularies.Lock()
	vocabularies.m[key] = e
	vocabularies.Unlock()
	return e.vocab, nil
}

// BotPendingMessages returns the customer messages the FAQ bot still owes
// an answer: on each open ticket the bot holds (bot_state active), the
// latest customer-facing message when it is the customer's and was
// received at or before until. Oldest first, at most limit. The bot
// sweeps for them when it starts and now and then, so that a message it
// never answered (queued in memory on a node that stopped, dropped from a
// full queue) does not leave the customer waiting on a ticket that no
// agent is routed.
func (s *Store) BotPendingMessages(ctx context.Context, until int64, limit int) ([]*domain.Message, error) {
	rows, err := s.rq.QueryContext(ctx, "SELECT "+messageColumns+` FROM messages WHERE id IN (
			SELECT (SELECT MAX(m.id) FROM messages m WHERE m.ticket_id = t.id AND m.kind = 'message')
			FROM tickets t WHERE t.bot_state = 'active' AND t.status IN ('new', 'open', 'pending'))
		AND direction = 'in' AND author_type = 'contact' AND created_at <= $1
		ORDER BY id LIMIT $2`, until, limit)
	out, err := scanAll(rows, err, scanMessage)
	if err != nil {
		return nil, fmt.Errorf("messages awaiting the bot: %w", err)
	}
	return out, nil
}
