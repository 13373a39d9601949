// Package kbtest holds a small knowledge base of a web shop in English,
// Dutch and German (returns, shipping, passwords, invoices, opening
// hours...) for tests of search, the help center and the FAQ bot, and a
// generator of large knowledge bases for benchmarks.
package kbtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// Category is a fixture category; Parent names its parent's key.
type Category struct {
	Key, Parent string
	Names       map[string]string
}

// Categories of the fixture, parents before children.
var Categories = []Category{
	{Key: "orders", Names: map[string]string{"en": "Orders and delivery", "nl": "Bestellingen en bezorging", "de": "Bestellungen und Lieferung"}},
	{Key: "returns", Parent: "orders", Names: map[string]string{"en": "Returns and refunds", "nl": "Retourneren", "de": "Rücksendungen"}},
	{Key: "account", Names: map[string]string{"en": "Your account", "nl": "Je account", "de": "Ihr Konto"}},
	{Key: "payment", Names: map[string]string{"en": "Payment and invoices", "nl": "Betalen en facturen", "de": "Zahlung und Rechnungen"}},
	{Key: "stores", Names: map[string]string{"en": "Stores and contact", "nl": "Winkels en contact", "de": "Filialen und Kontakt"}},
}

// Article is a fixture article: its key, category key and content.
type Article struct {
	Key, Category, Language, Title, Summary, Body string
	Keywords                                      []string
	Draft                                         bool
}

// Articles of the fixture. The bodies are Markdown.
var Articles = []Article{
	{Key: "en-return", Category: "returns", Language: "en", Title: "How do I return an item?",
		Summary:  "You can return any item within 30 days, free of charge, with the return label from your account.",
		Keywords: []string{"return", "send back", "exchange", "return label"},
		Body:     "Print the **return label** from *My orders*, pack the item in its original box and drop it at any parcel point.\n\nWe email you as soon as we have received the parcel."},
	{Key: "en-refund", Category: "returns", Language: "en", Title: "When will I get my refund?",
		Summary:  "Refunds are paid within 5 working days after we receive your return.",
		Keywords: []string{"refund", "money back", "reimbursement"},
		Body:     "The money goes back to the payment method you used. Bank transfers can take two more days to appear."},
	{Key: "en-shipping", Category: "orders", Language: "en", Title: "Shipping costs and delivery times",
		Summary:  "Shipping is free from €50; orders placed before 22:00 are delivered the next working day.",
		Keywords: []string{"shipping", "delivery", "postage", "delivery time"},
		Body:     "| Order value | Shipping |\n| --- | --- |\n| below €50 | €4.95 |\n| €50 and more | free |\n\nWe deliver in the Netherlands, Belgium and Germany."},
	{Key: "en-tracking", Category: "orders", Language: "en", Title: "Where is my order? Tracking your parcel",
		Summary:  "Follow your parcel with the track and trace link in your shipping confirmation.",
		Keywords: []string{"track and trace", "parcel", "package", "not arrived", "tracking"},
		Body:     "The link in the shipping email shows where your parcel is. No email? Check your spam folder or look in *My orders*."},
	{Key: "en-password", Category: "account", Language: "en", Title: "Reset your password",
		Summary:  "Forgot your password? Request a reset link on the sign-in page.",
		Keywords: []string{"password", "forgot password", "login", "log in", "sign in"},
		Body:     "1. Go to the sign-in page.\n2. Click *Forgot password*.\n3. Follow the link in the email within one hour."},
	{Key: "en-invoice", Category: "payment", Language: "en", Title: "Download your invoice",
		Summary:  "Every order has a PDF invoice with VAT in My orders.",
		Keywords: []string{"invoice", "receipt", "vat", "bill"},
		Body:     "Open the order in *My orders* and choose **Download invoice**. Need the company name on it? Add it to your account before you order."},
	{Key: "en-hours", Category: "stores", Language: "en", Title: "Opening hours of our stores",
		Summary:  "Our stores are open Monday to Saturday from 9:00 to 18:00, on Thursday until 21:00.",
		Keywords: []string{"opening hours", "open", "saturday", "sunday", "holidays", "store hours"},
		Body:     "On public holidays the stores are closed. Customer service by chat is open every day from 8:00 to 22:00."},
	{Key: "en-cancel", Category: "orders", Language: "en", Title: "Change or cancel an order",
		Summary:  "You can change or cancel an order until it has been shipped.",
		Keywords: []string{"cancel", "change order", "cancellation"},
		Body:     "Go to *My orders* and choose **Cancel order**. Already shipped? Then return it for free."},
	{Key: "en-payment", Category: "payment", Language: "en", Title: "Which payment methods can I use?",
		Summary:  "Pay with iDEAL, credit card, PayPal or afterwards by bank transfer.",
		Keywords: []string{"payment", "pay", "paypal", "credit card", "ideal", "klarna"},
		Body:     "Paying afterwards is possible for orders up to €500."},
	{Key: "en-draft", Category: "returns", Language: "en", Title: "New returns policy for 2027", Draft: true,
		Summary:  "Not yet published: returns within 60 days.",
		Keywords: []string{"return", "returns policy"},
		Body:     "Draft text for the new returns policy."},

	{Key: "nl-return", Category: "returns", Language: "nl", Title: "Hoe stuur ik een artikel retour?",
		Summary:  "Je kunt elk artikel binnen 30 dagen gratis retourneren met het retourlabel uit je account.",
		Keywords: []string{"retour", "retourneren", "terugsturen", "ruilen", "retourlabel"},
		Body:     "Print het **retourlabel** via *Mijn bestellingen*, verpak het artikel en lever het in bij een pakketpunt."},
	{Key: "nl-shipping", Category: "orders", Language: "nl", Title: "Verzendkosten en levertijden",
		Summary:  "Verzending is gratis vanaf €50; voor 22:00 besteld is de volgende werkdag bezorgd.",
		Keywords: []string{"verzendkosten", "verzending", "bezorging", "levertijd", "bezorgkosten"},
		Body:     "We bezorgen in Nederland, België en Duitsland."},
	{Key: "nl-tracking", Category: "orders", Language: "nl", Title: "Waar is mijn bestelling?",
		Summary:  "Volg je pakket met de track-and-tracelink in je verzendbevestiging.",
		Keywords: []string{"track and trace", "pakket", "niet ontvangen", "bezorgd", "waar blijft"},
		Body:     "De link in de verzendmail laat zien waar je pakket is."},
	{Key: "nl-password", Category: "account", Language: "nl", Title: "Wachtwoord vergeten",
		Summary:  "Vraag op de inlogpagina een link aan om een nieuw wachtwoord in te stellen.",
		Keywords: []string{"wachtwoord", "inloggen", "nieuw wachtwoord"},
		Body:     "Klik op *Wachtwoord vergeten* en volg binnen een uur de link in de e-mail."},
	{Key: "nl-invoice", Category: "payment", Language: "nl", Title: "Factuur downloaden",
		Summary:  "Bij elke bestelling hoort een pdf-factuur met btw in Mijn bestellingen.",
		Keywords: []string{"factuur", "facturen", "btw", "bon", "kwijt"},
		Body:     "Open de bestelling en kies **Factuur downloaden**."},
	{Key: "nl-hours", Category: "stores", Language: "nl", Title: "Openingstijden van onze winkels",
		Summary:  "Onze winkels zijn open van maandag tot en met zaterdag van 9:00 tot 18:00, donderdag tot 21:00.",
		Keywords: []string{"openingstijden", "open", "zaterdag", "zondag", "feestdagen"},
		Body:     "Op feestdagen zijn de winkels gesloten."},
	{Key: "nl-cancel", Category: "orders", Language: "nl", Title: "Bestelling wijzigen of annuleren",
		Summary:  "Je kunt een bestelling wijzigen of annuleren zolang die nog niet is verzonden.",
		Keywords: []string{"annuleren", "wijzigen", "annulering"},
		Body:     "Ga naar *Mijn bestellingen* en kies **Bestelling annuleren**."},

	{Key: "de-return", Category: "returns", Language: "de", Title: "Wie sende ich einen Artikel zurück?",
		Summary:  "Sie können jeden Artikel innerhalb von 30 Tagen kostenlos mit dem Rücksendeetikett aus Ihrem Konto zurücksenden.",
		Keywords: []string{"Rücksendung", "Retoure", "zurückschicken", "zurücksenden", "umtauschen"},
		Body:     "Drucken Sie das **Rücksendeetikett** unter *Meine Bestellungen* aus und geben Sie das Paket bei einer Paketstation ab."},
	{Key: "de-shipping", Category: "orders", Language: "de", Title: "Versandkosten und Lieferzeiten",
		Summary:  "Der Versand ist ab 50 € kostenlos; vor 22 Uhr bestellt, am nächsten Werktag geliefert.",
		Keywords: []string{"Versandkosten", "Versand", "Lieferung", "Lieferzeit", "kostet"},
		Body:     "Wir liefern in die Niederlande, nach Belgien und Deutschland."},
	{Key: "de-tracking", Category: "orders", Language: "de", Title: "Wo ist meine Bestellung?",
		Summary:  "Verfolgen Sie Ihr Paket mit dem Link zur Sendungsverfolgung in der Versandbestätigung.",
		Keywords: []string{"Sendungsverfolgung", "Paket", "nicht angekommen", "Lieferstatus"},
		Body:     "Der Link in der Versandmail zeigt, wo Ihr Paket gerade ist."},
	{Key: "de-password", Category: "account", Language: "de", Title: "Passwort vergessen",
		Summary:  "Fordern Sie auf der Anmeldeseite einen Link für ein neues Passwort an.",
		Keywords: []string{"Passwort", "Kennwort", "anmelden", "Login"},
		Body:     "Klicken Sie auf *Passwort vergessen* und folgen Sie innerhalb einer Stunde dem Link in der E-Mail."},
	{Key: "de-invoice", Category: "payment", Language: "de", Title: "Rechnung herunterladen",
		Summary:  "Zu jeder Bestellung gibt es eine PDF-Rechnung mit Mehrwertsteuer unter Meine Bestellungen.",
		Keywords: []string{"Rechnung", "Quittung", "Mehrwertsteuer", "Beleg"},
		Body:     "Öffnen Sie die Bestellung und wählen Sie **Rechnung herunterladen**."},
	{Key: "de-hours", Category: "stores", Language: "de", Title: "Öffnungszeiten unserer Filialen",
		Summary:  "Unsere Filialen sind Montag bis Samstag von 9 bis 18 Uhr geöffnet, donnerstags bis 21 Uhr.",
		Keywords: []string{"Öffnungszeiten", "geöffnet", "Samstag", "Sonntag", "Feiertage"},
		Body:     "An Feiertagen sind die Filialen geschlossen."},
}

// Fixture is a loaded knowledge base: categories and articles by key.
type Fixture struct {
	Categories map[string]*domain.KBCategory
	Articles   map[string]*domain.Article
}

// Load stores the fixture's categories and articles in st.
func Load(ctx context.Context, st *store.Store) (*Fixture, error) {
	f := &Fixture{Categories: map[string]*domain.KBCategory{}, Articles: map[string]*domain.Article{}}
	for i, c := range Categories {
		cat := &domain.KBCategory{Names: c.Names, Position: i}
		if c.Parent != "" {
			cat.ParentID = f.Categories[c.Parent].ID
		}
		if err := st.SaveKBCategory(ctx, cat); err != nil {
			return nil, fmt.Errorf("category %s: %w", c.Key, err)
		}
		f.Categories[c.Key] = cat
	}
	for _, a := range Articles {
		art := &domain.Article{CategoryID: f.Categories[a.Category].ID, Language: a.Language, Title: a.Title, Summary: a.Summary,
			Keywords: a.Keywords, Body: a.Body, Status: domain.ArticlePublished}
		if a.Draft {
			art.Status = domain.ArticleDraft
		}
		if err := st.SaveArticle(ctx, art); err != nil {
			return nil, fmt.Errorf("article %s: %w", a.Key, err)
		}
		f.Articles[a.Key] = art
	}
	return f, nil
}

// Key returns the fixture key of the article with id, or "".
func (f *Fixture) Key(id int64) string {
	for k, a := range f.Articles {
		if a.ID == id {
			return k
		}
	}
	return ""
}

// fillers are words the generated articles are made of.
var fillers = strings.Fields(`account address agent answer app basket battery bike box brand cable card cart catalogue colour
	coupon courier customer damage deal discount door email fabric gift glass guarantee handle helmet invoice jacket key
	label lamp laptop leather lock manual member mobile newsletter offer order package pallet phone plug pocket printer
	product promotion quality question receipt repair screen service shoe size sofa sticker stock subscription table tent
	ticket tool toy umbrella update voucher wallet warranty watch wheel window winter zipper`)

// Synthetic returns n published English, Dutch and German articles made of
// filler words around the fixture's subjects, the same for the same seed.
func Synthetic(n int, seed uint64) []*domain.Article {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = fillers[r.IntN(len(fillers))]
		}
		return strings.Join(w, " ")
	}
	out := make([]*domain.Article, n)
	for i := range out {
		base := Articles[i%len(Articles)]
		out[i] = &domain.Article{Language: base.Language, Status: domain.ArticlePublished,
			Title:    fmt.Sprintf("%s %s %d", base.Title, words(2), i),
			Summary:  base.Summary + " " + words(12),
			Keywords: append([]string{words(1), words(1)}, base.Keywords...),
			Body:     base.Body + "\n\n" + words(120) + "\n\n" + words(80),
		}
	}
	return out
}
