// Package helpcenter serves the public help center under /help: the
// published knowledge-base articles per language, their category tree and
// a search, as plain server-rendered HTML that loads fast and that search
// engines index (titles, descriptions, canonical and hreflang links). It
// only reads the store and never shows drafts; the one thing it writes is
// a customer's request to be called back, through the desk.
package helpcenter

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/kb"
	"loket.dev/loket/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed style.css
var styleCSS []byte

// Config wires the help center.
type Config struct {
	Store *store.Store
	// BaseURL is the public address ("https://support.example"), used in
	// canonical links; empty makes links relative to the host.
	BaseURL string
	Log     *slog.Logger
	// CallbackChannelID is the telephone (voice) channel that takes the
	// "call me back" form's requests; zero shows no form.
	CallbackChannelID int64
	// Callbacks records the requests; required with CallbackChannelID.
	Callbacks Callbacks
	// ClientIP is the address a request is counted against (behind a
	// proxy, the client's); nil takes the connection's peer.
	ClientIP func(*http.Request) string
	// Location is the time zone of the times the form offers; nil is
	// the server's.
	Location *time.Location
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Handler serves /help and everything below it.
type Handler struct {
	store *store.Store
	base  string
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux

	callbackChannel int64
	callbacks       Callbacks
	clientIP        func(*http.Request) string
	loc             *time.Location
	now             func() time.Time
	csrf            *http.CrossOriginProtection
	limits          limiter
}

// New returns the help center's handler.
func New(cfg Config) *Handler {
	h := &Handler{store: cfg.Store, base: strings.TrimRight(cfg.BaseURL, "/"), log: cfg.Log, pages: map[string]*template.Template{},
		callbackChannel: cfg.CallbackChannelID, callbacks: cfg.Callbacks, clientIP: cfg.ClientIP, loc: cfg.Location, now: cfg.Now,
		csrf: http.NewCrossOriginProtection()}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.callbacks == nil {
		h.callbackChannel = 0
	}
	if h.clientIP == nil {
		h.clientIP = remoteIP
	}
	if h.loc == nil {
		h.loc = time.Local
	}
	if h.now == nil {
		h.now = time.Now
	}
	for _, page := range []string{"home", "category", "article", "search", "notfound", "callback", "thanks"} {
		h.pages[page] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html"))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /help", h.root)
	mux.HandleFunc("GET /help/{$}", h.root)
	mux.HandleFunc("GET /help/style.css", h.style)
	mux.HandleFunc("GET /help/{lang}", h.home)
	mux.HandleFunc("GET /help/{lang}/{$}", h.home)
	mux.HandleFunc("GET /help/{lang}/categories/{ref}", h.category)
	mux.HandleFunc("GET /help/{lang}/articles/{ref}", h.article)
	mux.HandleFunc("GET /help/{lang}/search", h.search)
	mux.HandleFunc("GET /help/{lang}/callback", h.callbackPage)
	mux.HandleFunc("POST /help/{lang}/callback", h.requestCallback)
	mux.HandleFunc("GET /help/{lang}/callback/thanks", h.callbackThanks)
	mux.HandleFunc("/help/", func(w http.ResponseWriter, r *http.Request) {
		lang, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/help/"), "/")
		h.notFound(w, r, lang)
	})
	h.mux = mux
	return h
}

// ServeHTTP serves the help center.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Articles may show images from anywhere over https; nothing runs.
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.mux.ServeHTTP(w, r)
}

// page is what every template gets.
type page struct {
	Lang, Base, Title, Description, Canonical, Query string
	NoIndex                                          bool
	Private                                          bool // not to be cached
	Callbacks                                        bool // link to the callback form
	Callback                                         *callbackForm
	T                                                texts
	Languages                                        []string
	Alternates                                       []link
	Crumbs                                           []link
	Tree                                             []*node
	Category                                         *node
	Articles                                         []*domain.Article // listed: a category's, related, or in no category
	Article                                          *domain.Article
	Body                                             template.HTML
	Updated                                          string
	Hits                                             []domain.ArticleHit
}

type link struct{ Lang, Name, URL string }

// node is a category in one language with what lies below it.
type node struct {
	ID       int64
	Name     string
	URL      string
	Children []*node
	Articles []*domain.Article
	parent   *node
}

// newPage starts a page in lang whose canonical address is path.
func (h *Handler) newPage(lang, title, path string) *page {
	return &page{Lang: lang, Base: h.base, Title: title, Canonical: h.base + path, T: uiTexts[lang], Languages: domain.KBLanguages,
		Callbacks: h.callbackChannel != 0}
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	var b bytes.Buffer
	if err := h.pages[name].ExecuteTemplate(&b, "layout", p); err != nil {
		h.log.Error("help center page", "page", name, "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if p.Private {
		w.Header().Set("Cache-Control", "no-store")
	} else if status == http.StatusOK {
		w.Header().Set("Cache-Control", "public, max-age=60")
	}
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, lang string, err error) {
	if errors.Is(err, domain.ErrNotFound) {
		h.notFound(w, r, lang)
		return
	}
	h.log.Error("help center", "path", r.URL.Path, "err", err)
	http.Error(w, uiTexts[lang].Failed, http.StatusInternalServerError)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, lang string) {
	if !domain.ValidKBLanguage(lang) {
		lang = "en"
	}
	p := h.newPage(lang, uiTexts[lang].NotFound, "")
	p.NoIndex, p.Canonical = true, ""
	h.render(w, r, http.StatusNotFound, "notfound", p)
}

// language reads the {lang} path segment; false (after a 404) for others.
func (h *Handler) language(w http.ResponseWriter, r *http.Request) (string, bool) {
	lang := r.PathValue("lang")
	if !domain.ValidKBLanguage(lang) {
		h.notFound(w, r, "en")
		return "", false
	}
	return lang, true
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.Dutch, language.German})

// preferred picks the visitor's language from Accept-Language.
func preferred(r *http.Request) string {
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "en"
	}
	return domain.KBLanguages[i]
}

// root serves the home page in the visitor's language; its canonical
// address is that language's own home, and it links to the others.
func (h *Handler) root(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Vary", "Accept-Language")
	h.serveHome(w, r, preferred(r))
}

func (h *Handler) style(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(styleCSS)
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if lang, ok := h.language(w, r); ok {
		h.serveHome(w, r, lang)
	}
}

func (h *Handler) serveHome(w http.ResponseWriter, r *http.Request, lang string) {
	tree, byID, err := h.tree(r.Context(), lang)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	articles, err := h.published(r.Context(), domain.ArticleFilter{Language: lang, PerCategory: homeArticles})
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	p := h.newPage(lang, "", "/help/"+lang)
	p.Description = p.T.Description
	for _, l := range domain.KBLanguages {
		p.Alternates = append(p.Alternates, link{Lang: l, URL: h.base + "/help/" + l})
	}
	p.Alternates = append(p.Alternates, link{Lang: "x-default", URL: h.base + "/help"})
	p.Tree = tree
	for _, a := range articles {
		if n := byID[a.CategoryID]; n != nil {
			n.Articles = append(n.Articles, a)
		} else {
			p.Articles = append(p.Articles, a)
		}
	}
	h.render(w, r, http.StatusOK, "home", p)
}

// Articles listed per page: on the home page per category, below an
// article from its category.
const (
	homeArticles    = 5
	relatedArticles = 5
)

// tree loads the category tree with names in lang: the roots, and every
// category's node by id.
func (h *Handler) tree(ctx context.Context, lang string) ([]*node, map[int64]*node, error) {
	cats, err := h.store.KBCategories(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]*node, len(cats))
	for _, c := range cats {
		byID[c.ID] = &node{ID: c.ID, Name: c.Name(lang), URL: h.base + "/help/" + lang + "/categories/" + strconv.FormatInt(c.ID, 10) + "-" + c.Slug}
	}
	var roots []*node
	for _, c := range cats {
		n := byID[c.ID]
		if parent := byID[c.ParentID]; parent != nil {
			n.parent = parent
			parent.Children = append(parent.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots, byID, nil
}

// published lists the published articles matching f, without bodies,
// with their full help-center addresses.
func (h *Handler) published(ctx context.Context, f domain.ArticleFilter) ([]*domain.Article, error) {
	f.Status = domain.ArticlePublished
	articles, err := h.store.Articles(ctx, f)
	for _, a := range articles {
		a.URL = h.base + a.Path()
	}
	return articles, err
}

// ref parses "{id}-{slug}" (the slug may be missing or stale).
func ref(s string) (int64, bool) {
	idPart, _, _ := strings.Cut(s, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	return id, err == nil && id > 0
}

// crumbs is the path from the root down to n.
func crumbs(n *node) []link {
	var out []link
	for ; n != nil; n = n.parent {
		out = append(out, link{Name: n.Name, URL: n.URL})
	}
	slices.Reverse(out)
	return out
}

// target reads the {lang} and {ref} path segments of a category or
// article; false (after a 404) when either is not one.
func (h *Handler) target(w http.ResponseWriter, r *http.Request) (string, int64, bool) {
	lang, ok := h.language(w, r)
	if !ok {
		return "", 0, false
	}
	id, ok := ref(r.PathValue("ref"))
	if !ok {
		h.notFound(w, r, lang)
	}
	return lang, id, ok
}

func (h *Handler) category(w http.ResponseWriter, r *http.Request) {
	lang, id, ok := h.target(w, r)
	if !ok {
		return
	}
	_, byID, err := h.tree(r.Context(), lang)
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	n := byID[id]
	if n == nil {
		h.notFound(w, r, lang)
		return
	}
	if !strings.HasSuffix(n.URL, "/categories/"+r.PathValue("ref")) {
		http.Redirect(w, r, n.URL, http.StatusMovedPermanently)
		return
	}
	articles, err := h.published(r.Context(), domain.ArticleFilter{Language: lang, CategoryID: id})
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	p := h.newPage(lang, n.Name, strings.TrimPrefix(n.URL, h.base))
	p.Description = categoryDescription(n.Name, articles, p.T.Site)
	p.Category, p.Articles = n, articles
	p.Crumbs = crumbs(n.parent)
	h.render(w, r, http.StatusOK, "category", p)
}

// categoryDescription names the category and its first articles, which
// tells a search engine's reader more than the name alone.
func categoryDescription(name string, articles []*domain.Article, site string) string {
	if len(articles) == 0 {
		return name + " · " + site
	}
	titles := make([]string, 0, 3)
	for _, a := range articles[:min(3, len(articles))] {
		titles = append(titles, a.Title)
	}
	return kb.Truncate(name+": "+strings.Join(titles, " · "), descriptionLen)
}

// descriptionLen is the longest meta description, in characters; search
// engines show about this much.
const descriptionLen = 160

func (h *Handler) article(w http.ResponseWriter, r *http.Request) {
	lang, id, ok := h.target(w, r)
	if !ok {
		return
	}
	a, err := h.store.Article(r.Context(), id)
	if err == nil && a.Status != domain.ArticlePublished {
		err = domain.ErrNotFound
	}
	if err != nil {
		h.fail(w, r, lang, err)
		return
	}
	// The language and slug are part of the address but the id decides:
	// old or mistyped addresses move to the article's own, on this site.
	if a.Language != lang || r.PathValue("ref") != strconv.FormatInt(a.ID, 10)+"-"+a.Slug {
		http.Redirect(w, r, h.base+a.Path(), http.StatusMovedPermanently)
		return
	}
	p := h.newPage(lang, a.Title, a.Path())
	p.Description = a.Summary
	if p.Description == "" {
		p.Description = kb.Truncate(strings.Join(strings.Fields(kb.PlainText(a.Body)), " "), descriptionLen)
	}
	p.Article = a
	p.Body = template.HTML(kb.RenderHTML(a.Body))
	p.Updated = time.UnixMilli(a.UpdatedAt).UTC().Format("2006-01-02")
	if a.CategoryID != 0 {
		if err := h.related(r.Context(), p, a); err != nil {
			h.fail(w, r, lang, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "article", p)
}

// related fills in the breadcrumbs of a's category and a few other
// articles from it.
func (h *Handler) related(ctx context.Context, p *page, a *domain.Article) error {
	_, byID, err := h.tree(ctx, a.Language)
	if err != nil {
		return err
	}
	n := byID[a.CategoryID]
	if n == nil {
		return nil
	}
	p.Crumbs = crumbs(n)
	others, err := h.published(ctx, domain.ArticleFilter{Language: a.Language, CategoryID: n.ID, Limit: relatedArticles + 1})
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.ID != a.ID && len(p.Articles) < relatedArticles {
			p.Articles = append(p.Articles, o)
		}
	}
	return nil
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request) {
	lang, ok := h.language(w, r)
	if !ok {
		return
	}
	q := kb.CutQuery(strings.TrimSpace(r.URL.Query().Get("q")))
	p := h.newPage(lang, uiTexts[lang].Search, "/help/"+lang+"/search")
	p.NoIndex, p.Query = true, q
	if q != "" {
		hits, err := h.store.SearchArticles(r.Context(), domain.ArticleQuery{Text: q, Language: lang, Limit: 20})
		if err != nil {
			h.fail(w, r, lang, err)
			return
		}
		for _, hit := range hits {
			hit.Article.URL = h.base + hit.Article.Path()
		}
		p.Hits = hits
		p.Title = uiTexts[lang].ResultsFor + " “" + q + "”"
	}
	h.render(w, r, http.StatusOK, "search", p)
}

// texts are the help center's own words in one language.
type texts struct {
	Site, Description, Welcome, Search, SearchHint, ResultsFor, NoResults, Home, More, Empty, Related, Updated, NotFound, Failed string

	Callback, CallbackPrompt, CallbackIntro, CallbackNumber, CallbackNumberHint, CallbackName, CallbackWhen, CallbackASAP,
	CallbackMorning, CallbackAfternoon, CallbackNote, CallbackSend, CallbackThanks, CallbackThanksText, CallbackBadNumber,
	CallbackBadTime, CallbackTooLong, CallbackTooMany, CallbackRefused string
	Weekdays [7]string
	Months   [12]string
}

var uiTexts = map[string]texts{
	"en": {Site: "Help center", Description: "Answers to common questions: orders, delivery, returns, your account and more.",
		Welcome: "How can we help?", Search: "Search", SearchHint: "Search the help center", ResultsFor: "Results for",
		NoResults: "No articles found. Try other words.", Home: "Help center", More: "More articles", Empty: "No articles here yet.",
		Related: "Related articles", Updated: "Updated", NotFound: "Page not found", Failed: "Something went wrong; please try again.",
		Callback: "Call me back", CallbackPrompt: "Rather talk to a person?", CallbackIntro: "Leave your number and we will call you.",
		CallbackNumber: "Phone number", CallbackNumberHint: "Such as 06 12345678 or +31 6 12345678", CallbackName: "Name (optional)",
		CallbackWhen: "When shall we call?", CallbackASAP: "As soon as possible", CallbackMorning: "morning (9:00–12:00)",
		CallbackAfternoon: "afternoon (13:00–17:00)", CallbackNote: "What is it about? (optional)", CallbackSend: "Request a call",
		CallbackThanks: "Thank you!", CallbackThanksText: "We have your request and will call you as soon as we can, or at the time you chose.",
		CallbackBadNumber: "Enter a phone number we can call, such as 06 12345678 or +31 6 12345678.",
		CallbackBadTime:   "That time is no longer available; choose another.", CallbackTooLong: "The note is too long; keep it under 2000 characters.",
		CallbackTooMany: "You have asked to be called back several times already; we will call you.",
		CallbackRefused: "The form could not be sent from this page; open the help center and try again.",
		Weekdays:        [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
		Months:          [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}},
	"nl": {Site: "Klantenservice", Description: "Antwoorden op veelgestelde vragen: bestellen, bezorging, retourneren, je account en meer.",
		Welcome: "Waarmee kunnen we helpen?", Search: "Zoeken", SearchHint: "Zoek in de klantenservice", ResultsFor: "Resultaten voor",
		NoResults: "Geen artikelen gevonden. Probeer andere woorden.", Home: "Klantenservice", More: "Meer artikelen", Empty: "Hier staan nog geen artikelen.",
		Related: "Gerelateerde artikelen", Updated: "Bijgewerkt", NotFound: "Pagina niet gevonden", Failed: "Er ging iets mis; probeer het opnieuw.",
		Callback: "Bel mij terug", CallbackPrompt: "Liever iemand spreken?", CallbackIntro: "Laat je nummer achter, dan bellen wij je.",
		CallbackNumber: "Telefoonnummer", CallbackNumberHint: "Zoals 06 12345678 of +31 6 12345678", CallbackName: "Naam (optioneel)",
		CallbackWhen: "Wanneer mogen we bellen?", CallbackASAP: "Zo snel mogelijk", CallbackMorning: "ochtend (9:00–12:00)",
		CallbackAfternoon: "middag (13:00–17:00)", CallbackNote: "Waar gaat het over? (optioneel)", CallbackSend: "Terugbelverzoek versturen",
		CallbackThanks: "Bedankt!", CallbackThanksText: "We hebben je verzoek ontvangen en bellen je zo snel mogelijk, of op het moment dat je koos.",
		CallbackBadNumber: "Vul een telefoonnummer in dat we kunnen bellen, zoals 06 12345678 of +31 6 12345678.",
		CallbackBadTime:   "Dat moment is niet meer beschikbaar; kies een ander.", CallbackTooLong: "De toelichting is te lang; houd het onder 2000 tekens.",
		CallbackTooMany: "Je hebt al een paar keer gevraagd om teruggebeld te worden; we bellen je.",
		CallbackRefused: "Het formulier kon niet vanaf deze pagina worden verstuurd; open de klantenservice en probeer het opnieuw.",
		Weekdays:        [7]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"},
		Months:          [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}},
	"de": {Site: "Hilfe-Center", Description: "Antworten auf häufige Fragen: Bestellung, Lieferung, Rücksendung, Ihr Konto und mehr.",
		Welcome: "Wie können wir helfen?", Search: "Suchen", SearchHint: "Im Hilfe-Center suchen", ResultsFor: "Ergebnisse für",
		NoResults: "Keine Artikel gefunden. Versuchen Sie andere Wörter.", Home: "Hilfe-Center", More: "Weitere Artikel", Empty: "Hier gibt es noch keine Artikel.",
		Related: "Ähnliche Artikel", Updated: "Aktualisiert", NotFound: "Seite nicht gefunden", Failed: "Etwas ist schiefgelaufen; bitte versuchen Sie es erneut.",
		Callback: "Rückruf anfordern", CallbackPrompt: "Lieber mit einem Menschen sprechen?", CallbackIntro: "Hinterlassen Sie Ihre Nummer, wir rufen Sie an.",
		CallbackNumber: "Telefonnummer", CallbackNumberHint: "Etwa 030 1234567 oder +49 30 1234567", CallbackName: "Name (optional)",
		CallbackWhen: "Wann dürfen wir anrufen?", CallbackASAP: "So bald wie möglich", CallbackMorning: "vormittags (9:00–12:00)",
		CallbackAfternoon: "nachmittags (13:00–17:00)", CallbackNote: "Worum geht es? (optional)", CallbackSend: "Rückruf anfordern",
		CallbackThanks: "Vielen Dank!", CallbackThanksText: "Wir haben Ihre Anfrage erhalten und rufen Sie so bald wie möglich oder zur gewählten Zeit an.",
		CallbackBadNumber: "Geben Sie eine Telefonnummer ein, unter der wir Sie erreichen, etwa 030 1234567 oder +49 30 1234567.",
		CallbackBadTime:   "Diese Zeit ist nicht mehr frei; bitte wählen Sie eine andere.", CallbackTooLong: "Die Notiz ist zu lang; bitte unter 2000 Zeichen.",
		CallbackTooMany: "Sie haben bereits mehrmals um einen Rückruf gebeten; wir rufen Sie an.",
		CallbackRefused: "Das Formular konnte von dieser Seite nicht gesendet werden; öffnen Sie das Hilfe-Center und versuchen Sie es erneut.",
		Weekdays:        [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"},
		Months:          [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}},
}
