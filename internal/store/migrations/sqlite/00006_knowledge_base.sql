-- +goose Up
-- The knowledge base: a tree of categories and articles per language. It
-- feeds the public help center, the FAQ bot and agents' suggestions.
CREATE TABLE kb_categories (
    id         INTEGER PRIMARY KEY,
    parent_id  BIGINT REFERENCES kb_categories (id),
    position   INTEGER NOT NULL DEFAULT 0,
    slug       TEXT NOT NULL,
    names      TEXT NOT NULL, -- JSON object: language → name
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_categories_parent ON kb_categories (parent_id, position);

CREATE TABLE kb_articles (
    id           INTEGER PRIMARY KEY,
    category_id  BIGINT REFERENCES kb_categories (id),
    language     TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    keywords     TEXT NOT NULL, -- JSON array of strings
    body         TEXT NOT NULL, -- Markdown
    status       TEXT NOT NULL,
    slug         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    published_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX kb_articles_list ON kb_articles (language, status, category_id);
CREATE INDEX kb_articles_category ON kb_articles (category_id);

-- Search terms per field, stemmed per language by Loket itself (FTS5's
-- only stemmer is English): title and keywords, summary, body. The store
-- keeps it in step with kb_articles; rowid is the article id.
CREATE VIRTUAL TABLE kb_fts USING fts5 (
    title, summary, body,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- The FAQ bot looks for unanswered customers only among the few tickets
-- it holds.
CREATE INDEX tickets_bot_active ON tickets (status) WHERE bot_state = 'active';

-- +goose Down
DROP INDEX tickets_bot_active;
DROP TABLE kb_fts;
DROP TABLE kb_articles;
DROP TABLE kb_categories;
