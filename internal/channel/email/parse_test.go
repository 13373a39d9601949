package email

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseFile parses testdata/name and fails the test if that returns an
// error.
func parseFile(t *testing.T, name string) *Mail {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return m
}

// message builds a raw message from header lines and a body.
func message(body string, headers ...string) []byte {
	return []byte(strings.Join(headers, "\r\n") + "\r\n\r\n" + body)
}

func TestParse_DecodesHeadersIntoNormalisedFields(t *testing.T) {
	tests := []struct {
		file       string
		subject    string
		from       Address
		to         []Address
		cc         []Address
		messageID  string
		inReplyTo  string
		references []string
		date       time.Time
	}{
		{
			file:       "outlook_reply.eml",
			subject:    "RE: [#1042] Factuur 2026-0042",
			from:       Address{Name: "Jansen, Pieter", Email: "pieter.jansen@klant.nl"},
			to:         []Address{{Name: "Loket Support", Email: "support@loket.example"}},
			cc:         []Address{{Name: "de Boer, Anne", Email: "anne.deboer@klant.nl"}},
			messageID:  "AM0PR02MB1234A1B2C3D4E5F6@AM0PR02MB1234.eurprd02.prod.outlook.com",
			inReplyTo:  "ticket-1042-msg-1@loket.example",
			references: []string{"ticket-1042-msg-0@loket.example", "ticket-1042-msg-1@loket.example"},
			date:       time.Date(2026, 3, 3, 9, 12, 45, 0, time.UTC),
		},
		{
			file:       "gmail_reply_nl.eml",
			subject:    "Re: [#1043] Levering vertraagd",
			from:       Address{Name: "Sanne de Vries", Email: "sanne.devries@gmail.com"},
			to:         []Address{{Name: "Loket Support", Email: "support@loket.example"}},
			messageID:  "CAF3xq+Vb7nQk2=Yz8rT0pLw4mD9eHs1uJ6cXa5@mail.gmail.com",
			inReplyTo:  "ticket-1043-msg-1@loket.example",
			references: []string{"ticket-1043-msg-1@loket.example"},
			date:       time.Date(2026, 3, 4, 10, 2, 17, 0, time.UTC),
		},
		{
			file:       "apple_reply_inline_image.eml",
			subject:    "Re: [#1044] Beschadigd product",
			from:       Address{Name: "Jan Bakker", Email: "jan@bakker.example"},
			to:         []Address{{Name: "Loket Support", Email: "support@loket.example"}},
			messageID:  "5E6F7A8B-1234-4C5D-9E0F-A1B2C3D4E5F6@bakker.example",
			inReplyTo:  "ticket-1044-msg-1@loket.example",
			references: []string{"ticket-1044-msg-0@loket.example", "ticket-1044-msg-1@loket.example"},
			date:       time.Date(2026, 3, 5, 7, 30, 0, 0, time.UTC),
		},
		{
			file:       "thunderbird_reply_signature.eml",
			subject:    "Re: [#1045] Gerät defekt",
			from:       Address{Name: "Klaus Müller", Email: "k.mueller@mueller-technik.de"},
			to:         []Address{{Name: "Loket Support", Email: "support@loket.example"}},
			messageID:  "7c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f@mueller-technik.de",
			inReplyTo:  "ticket-1045-msg-1@loket.example",
			references: []string{"ticket-1045-msg-1@loket.example"},
			date:       time.Date(2026, 3, 5, 9, 47, 3, 0, time.UTC),
		},
		{
			file:      "iso8859_1_plain.eml",
			subject:   "Réservation café pour la fête",
			from:      Address{Name: "Anaïs Dubois", Email: "anais.dubois@example.fr"},
			to:        []Address{{Email: "support@loket.example"}},
			messageID: "20260309074512.GA4411@example.fr",
			date:      time.Date(2026, 3, 9, 6, 45, 12, 0, time.UTC),
		},
		{
			file:      "bounce_dsn.eml",
			subject:   "Undelivered Mail Returned to Sender",
			from:      Address{Name: "Mail Delivery System", Email: "mailer-daemon@mx.loket.example"},
			to:        []Address{{Email: "support@loket.example"}},
			messageID: "20260306090003.5B1C2D3E4F@mx.loket.example",
			date:      time.Date(2026, 3, 6, 9, 0, 3, 0, time.UTC),
		},
		{
			file:      "broken_charset.eml",
			subject:   "Café gesloten?",
			from:      Address{Name: "Oude Client", Email: "oud@client.example"},
			to:        []Address{{Email: "support@loket.example"}},
			messageID: "charset-1@client.example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.From != tt.from {
				t.Errorf("From = %+v, want %+v", m.From, tt.from)
			}
			if !slices.Equal(m.To, tt.to) {
				t.Errorf("To = %+v, want %+v", m.To, tt.to)
			}
			if !slices.Equal(m.Cc, tt.cc) {
				t.Errorf("Cc = %+v, want %+v", m.Cc, tt.cc)
			}
			if m.MessageID != tt.messageID {
				t.Errorf("MessageID = %q, want %q", m.MessageID, tt.messageID)
			}
			if m.InReplyTo != tt.inReplyTo {
				t.Errorf("InReplyTo = %q, want %q", m.InReplyTo, tt.inReplyTo)
			}
			if !slices.Equal(m.References, tt.references) {
				t.Errorf("References = %q, want %q", m.References, tt.references)
			}
			if !m.Date.Equal(tt.date) {
				t.Errorf("Date = %v, want %v", m.Date, tt.date)
			}
		})
	}
}

func TestParse_SeparatesNewTextFromQuotedHistoryAndSignature(t *testing.T) {
	tests := []struct {
		name, file, newText string
	}{
		{
			name: "Outlook reply with a reply header block",
			file: "outlook_reply.eml",
			newText: "Hallo,\n\n" +
				"Het bedrag van € 125,00 klopt niet; we hadden “korting” afgesproken.\n" +
				"Graag een gecorrigeerde factuur vóór vrijdag.\n\n" +
				"Met vriendelijke groet,\nPieter Jansen",
		},
		{
			name:    "Gmail reply with a wrapped Dutch attribution",
			file:    "gmail_reply_nl.eml",
			newText: "Dank je wel! Dan wacht ik het pakket af.\nÉén vraag nog: komt het vóór vrijdag?\n\nGroetjes,\nSanne",
		},
		{
			name:    "Apple Mail reply with a quoted attribution",
			file:    "apple_reply_inline_image.eml",
			newText: "Here is a photo of the damage.",
		},
		{
			name:    "Thunderbird reply below the quote, flowed, with signature",
			file:    "thunderbird_reply_signature.eml",
			newText: "The serial number is LK-4471-X. I bought the device in January at your store in Utrecht, together with a spare battery.",
		},
		{
			name:    "plain-text reply with a French attribution and > quoting",
			file:    "iso8859_1_plain.eml",
			newText: "Bonjour,\n\nNous serons 12 personnes pour la fête du 20 mars, café compris.\nMerci !\n\nAnaïs",
		},
		{
			name:    "forward with its original attached, minus the signature",
			file:    "forward_rfc822.eml",
			newText: "Zie de klacht hieronder, kunnen jullie dit oppakken?",
		},
		{
			name:    "message without history",
			file:    "out_of_office.eml",
			newText: "Ik ben tot en met 20 maart afwezig en lees mijn mail niet.\nVoor dringende zaken: bel 020-1234567.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := parseFile(t, tt.file)
			if m.NewText != tt.newText {
				t.Errorf("NewText =\n%q\nwant\n%q", m.NewText, tt.newText)
			}
		})
	}
}

func TestParse_RemovesQuotedHistoryFromHTMLUsingClientMarkup(t *testing.T) {
	tests := []struct {
		file     string
		keep     []string
		withhold []string
	}{
		{
			file:     "outlook_reply.eml",
			keep:     []string{"Graag een gecorrigeerde factuur", "Pieter Jansen"},
			withhold: []string{"divRplyFwdMsg", "<hr", "Verzonden", "Beste Pieter"},
		},
		{
			file:     "gmail_reply_nl.eml",
			keep:     []string{"Dank je wel!", "Sanne"},
			withhold: []string{"schreef", "Beste Sanne", "blockquote"},
		},
		{
			file:     "apple_reply_inline_image.eml",
			keep:     []string{"Here is a photo of the damage.", `src="cid:`},
			withhold: []string{"wrote:", "Could you send us a photo"},
		},
		{
			file:     "thunderbird_reply_signature.eml",
			keep:     []string{"The serial number is LK-4471-X."},
			withhold: []string{"wrote:", "which serial number", "Müller Technik GmbH"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			for _, s := range tt.keep {
				if !strings.Contains(m.NewHTML, s) {
					t.Errorf("NewHTML lacks %q:\n%s", s, m.NewHTML)
				}
			}
			for _, s := range tt.withhold {
				if strings.Contains(m.NewHTML, s) {
					t.Errorf("NewHTML still contains %q:\n%s", s, m.NewHTML)
				}
				if !strings.Contains(m.HTML, s) {
					t.Errorf("HTML lost %q, which only NewHTML should drop", s)
				}
			}
		})
	}
}

func TestParse_FindsHistoryInHTMLOnlyMessages(t *testing.T) {
	tests := []struct {
		name, html, newText string
	}{
		{
			name: "Outlook desktop reply header in a bordered div",
			html: `<div class="WordSection1"><p class="MsoNormal">Prima, dank je.</p><p class="MsoNormal">&nbsp;</p>` +
				`<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">` +
				`<p class="MsoNormal"><b>From:</b> Loket Support &lt;support@loket.example&gt;<br><b>Sent:</b> Monday, March 2, 2026 4:40 PM<br>` +
				`<b>To:</b> Jan &lt;jan@example.nl&gt;<br><b>Subject:</b> Your question</p></div></div>` +
				`<p class="MsoNormal">Dear Jan, here is our answer.</p></div>`,
			newText: "Prima, dank je.",
		},
		{
			name:    "Original Message separator",
			html:    `<div>Akkoord.</div><div>-----Original Message-----<br>From: support@loket.example<br>Old text</div>`,
			newText: "Akkoord.",
		},
		{
			name:    "German Gmail quote",
			html:    `<div dir="ltr">Danke!</div><br><div class="gmail_quote"><div class="gmail_attr">Am Mo., 2. März 2026 um 10:15 Uhr schrieb Loket &lt;support@loket.example&gt;:<br></div><blockquote class="gmail_quote">Alte Nachricht</blockquote></div>`,
			newText: "Danke!",
		},
		{
			name:    "Gmail signature",
			html:    `<div dir="ltr">Graag een belletje.<br clear="all"><br><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Jan Jansen<br>06-12345678</div></div>`,
			newText: "Graag een belletje.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(message(tt.html, "From: jan@example.nl", "Subject: Re: vraag", "Content-Type: text/html; charset=utf-8"))
			if err != nil {
				t.Fatal(err)
			}
			if m.NewText != tt.newText {
				t.Errorf("NewText = %q, want %q", m.NewText, tt.newText)
			}
		})
	}
}

func TestStripTextHistory_RecognisesClientQuoteShapes(t *testing.T) {
	tests := []struct {
		name, text, want string
		stripped         bool
	}{
		{
			name:     "Outlook Original Message separator",
			text:     "Prima.\n\n-----Original Message-----\nFrom: Loket\nSent: Monday\nOld text\n",
			want:     "Prima.",
			stripped: true,
		},
		{
			name:     "English Outlook reply header after a rule",
			text:     "Thanks!\n\n________________________________\nFrom: Loket Support <support@loket.example>\nSent: Monday, March 2, 2026 4:40 PM\nTo: Jan\nSubject: Your question\n\nOld text\n",
			want:     "Thanks!",
			stripped: true,
		},
		{
			name:     "German attribution",
			text:     "Danke, das hilft.\n\nAm 02.03.26 um 10:15 schrieb Loket Support:\n> Alte Nachricht\n",
			want:     "Danke, das hilft.",
			stripped: true,
		},
		{
			name:     "Dutch Apple Mail attribution",
			text:     "Top.\n\n> Op 2 mrt 2026 om 10:15 heeft Loket Support <support@loket.example> het volgende geschreven:\n>\n> Oude tekst\n",
			want:     "Top.",
			stripped: true,
		},
		{
			name:     "attribution without quoting below it",
			text:     "Ok.\n\nOn Mon, 2 Mar 2026 at 10:15, Loket wrote:\nOld text\n",
			want:     "Ok.",
			stripped: true,
		},
		{
			name:     "interleaved reply",
			text:     "On Mon, 2 Mar 2026, Loket wrote:\n> Which colour?\n\nBlue.\n\n> Which size?\n\nLarge.\n",
			want:     "Blue.\n\nLarge.",
			stripped: true,
		},
		{
			name:     "mobile signature",
			text:     "Klopt.\n\nVerstuurd vanaf mijn iPhone\n",
			want:     "Klopt.",
			stripped: true,
		},
		{
			name:     "signature separator without its space",
			text:     "Yes.\n--\nJan\n",
			want:     "Yes.",
			stripped: true,
		},
		{
			name:     "sentence that ends like an attribution",
			text:     "Op de factuur staat een fout.\nIk schreef u eerder:\n> Klopt dit bedrag?\n",
			want:     "Op de factuur staat een fout.\nIk schreef u eerder:",
			stripped: true,
		},
		{
			name: "text that only mentions headers",
			text: "From: Amsterdam\nTo: Paris\nDate: 3 March\n\nCan I still change this booking?",
			want: "From: Amsterdam\nTo: Paris\nDate: 3 March\n\nCan I still change this booking?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, stripped := stripTextHistory(tt.text)
			if got != tt.want || stripped != tt.stripped {
				t.Errorf("stripTextHistory() = %q, %v; want %q, %v", got, stripped, tt.want, tt.stripped)
			}
		})
	}
}

func TestParse_KeepsTheContentOfForwardedMail(t *testing.T) {
	t.Run("inline Gmail forward keeps the forwarded message in NewText", func(t *testing.T) {
		m := parseFile(t, "gmail_forward_inline.eml")
		for _, s := range []string{"ik heb maar 1 stuk besteld", "Forwarded message", "Aantal: 3 stuks", "Totaal: 45,00 EUR"} {
			if !strings.Contains(m.NewText, s) {
				t.Errorf("NewText lacks %q:\n%s", s, m.NewText)
			}
		}
		if !strings.Contains(m.NewHTML, "Aantal: 3 stuks") {
			t.Errorf("NewHTML lost the forwarded message:\n%s", m.NewHTML)
		}
	})
	t.Run("Outlook inline forward keeps its reply header", func(t *testing.T) {
		text := "Zie hieronder.\n\nFrom: Klant <klant@example.nl>\nSent: Monday\nTo: info@bedrijf.example\nSubject: Klacht\n\nMijn klacht.\n"
		m, err := Parse(message(text, "From: info@bedrijf.example", "Subject: FW: Klacht"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(m.NewText, "Mijn klacht.") {
			t.Errorf("NewText lost the forwarded message:\n%s", m.NewText)
		}
	})
	t.Run("attached message keeps every byte", func(t *testing.T) {
		m := parseFile(t, "forward_rfc822.eml")
		if len(m.Attachments) != 1 {
			t.Fatalf("got %d attachments, want 1", len(m.Attachments))
		}
		a := m.Attachments[0]
		if a.Filename != "Klacht over levering.eml" || a.ContentType != "message/rfc822" || len(a.Data) != 624 {
			t.Errorf("attachment = %q %q %d bytes, want \"Klacht over levering.eml\" message/rfc822 624 bytes",
				a.Filename, a.ContentType, len(a.Data))
		}
		inner, err := Parse(a.Data)
		if err != nil {
			t.Fatal(err)
		}
		if inner.Subject != "Klacht over levering" || !strings.Contains(inner.Text, "Mijn bestelling 88") {
			t.Errorf("attached message parses to subject %q, text %q", inner.Subject, inner.Text)
		}
	})
}

func TestParse_ExtractsAttachmentsWithDecodedNames(t *testing.T) {
	type att struct {
		filename, contentType, contentID string
		size                             int
		inline                           bool
	}
	tests := []struct {
		file string
		want []att
	}{
		{
			file: "attachments_rfc2231.eml",
			want: []att{
				{filename: "Offerte € prijzen 2026.pdf", contentType: "application/pdf", size: 77},
				{filename: "Überweisung März.xlsx", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", size: 768},
				{filename: "Bestelformulier – juni.docx", contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", size: 64},
			},
		},
		{
			file: "apple_reply_inline_image.eml",
			want: []att{{
				filename: "damage.png", contentType: "image/png", size: 73, inline: true,
				contentID: "F3A1C2B4-5D6E-4F70-8A9B-0C1D2E3F4A5B@bakker.example",
			}},
		},
		{
			file: "bounce_dsn.eml",
			want: []att{
				{filename: "attachment.txt", contentType: "message/delivery-status", size: 573},
				{filename: "[#1046] Uw vraag.eml", contentType: "message/rfc822", size: 283},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			var got []att
			for _, a := range m.Attachments {
				got = append(got, att{a.Filename, a.ContentType, a.ContentID, len(a.Data), a.Inline})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("attachments =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestMail_RewriteCIDPointsInlineImagesAtStoredURLs(t *testing.T) {
	m := parseFile(t, "apple_reply_inline_image.eml")
	stored := map[string]string{m.Attachments[0].ContentID: "/attachments/7?name=damage&size=full"}
	m.RewriteCID(func(id string) (string, bool) {
		u, ok := stored[id]
		return u, ok
	})
	want := `src="/attachments/7?name=damage&amp;size=full"`
	for field, html := range map[string]string{"HTML": m.HTML, "NewHTML": m.NewHTML} {
		if !strings.Contains(html, want) || strings.Contains(html, "cid:") {
			t.Errorf("%s after RewriteCID:\n%s\nwant it to contain %s and no cid:", field, html, want)
		}
	}
}

func TestMail_RewriteCIDLeavesUnknownContentIDsAlone(t *testing.T) {
	m := &Mail{HTML: `<p>a</p><img src="cid:known%40example"/><img src="cid:unknown@example"/>`}
	m.RewriteCID(func(id string) (string, bool) {
		return "/a/1", id == "known@example"
	})
	want := `<p>a</p><img src="/a/1"/><img src="cid:unknown@example"/>`
	if m.HTML != want {
		t.Errorf("HTML = %s, want %s", m.HTML, want)
	}
}

func TestParse_SanitisesHostileHTML(t *testing.T) {
	m := parseFile(t, "hostile_html.eml")
	lower := strings.ToLower(m.HTML)
	for _, bad := range []string{"<script", "onload", "onclick", "onerror", "javascript:", "<iframe", "<form", "<input", "<object", "<svg", "attacker.example/x.js", "steal()",
		`href="data:`, `href="#`, `href="/`} {
		if strings.Contains(lower, bad) {
			t.Errorf("HTML contains %q:\n%s", bad, m.HTML)
		}
	}
	for _, good := range []string{
		`<a href="https://attacker.example/f" rel="nofollow noopener" target="_blank">deze link</a>`,
		`<img src="cid:logo@attacker.example"/>`,
		`<img src="data:image/png;base64,iVBORw0KGgo="/>`,
	} {
		if !strings.Contains(m.HTML, good) {
			t.Errorf("HTML lacks %s:\n%s", good, m.HTML)
		}
	}
}

func TestParse_ReplacesRemoteImagesWithTheirAltText(t *testing.T) {
	m := parseFile(t, "mailing_list.eml")
	for _, bad := range []string{"cdn.leverancier.example", "open.gif", "url(", "position", "<title", "Nieuwsbrief", "color:red"} {
		if strings.Contains(m.HTML, bad) {
			t.Errorf("HTML contains %q:\n%s", bad, m.HTML)
		}
	}
	for _, good := range []string{"Banner", `style="color: #333"`, "Bekijk de collectie"} {
		if !strings.Contains(m.HTML, good) {
			t.Errorf("HTML lacks %q:\n%s", good, m.HTML)
		}
	}
}

func TestParse_DerivesTextFromHTMLWhenThereIsNoTextPart(t *testing.T) {
	m := parseFile(t, "mailing_list.eml")
	for _, s := range []string{"Voorjaarscollectie", "Ontdek onze *nieuwe* collectie.", "https://leverancier.example/collectie"} {
		if !strings.Contains(m.Text, s) {
			t.Errorf("Text lacks %q:\n%s", s, m.Text)
		}
	}
	if strings.Contains(m.Text, "<") {
		t.Errorf("Text contains markup:\n%s", m.Text)
	}
}

func TestParse_DecodesCharsetsAndTransferEncodings(t *testing.T) {
	tests := []struct {
		file, text string
	}{
		{"outlook_reply.eml", "Het bedrag van € 125,00 klopt niet; we hadden “korting” afgesproken."},
		{"iso8859_1_plain.eml", "Nous serons 12 personnes pour la fête du 20 mars, café compris."},
		{"iso8859_15_euro.eml", "De prijs is € 12,50 per stuk, niet € 15."},
		{"gmail_reply_nl.eml", "Één vraag nog: komt het vóór vrijdag?"},
		{"thunderbird_reply_signature.eml", "Klaus Müller"},
		{"broken_charset.eml", "Is het café op zondag geïnteresseerd in een réservering?"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("Text lacks %q:\n%s", tt.text, m.Text)
			}
		})
	}
}

func TestParse_SalvagesBrokenMIMEWithWarnings(t *testing.T) {
	tests := []struct {
		file        string
		text        string
		attachments []string
	}{
		{file: "broken_unterminated.eml", text: "Hierbij de scan van de bon.", attachments: []string{"bon.jpg"}},
		{file: "broken_charset.eml", text: "Is het café op zondag"},
		{file: "broken_no_boundary.eml", text: "Deze tekst heeft geen MIME-grens maar moet toch aankomen."},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("Text lacks %q:\n%s", tt.text, m.Text)
			}
			var names []string
			for _, a := range m.Attachments {
				if len(a.Data) == 0 {
					t.Errorf("attachment %q lost its data", a.Filename)
				}
				names = append(names, a.Filename)
			}
			if !slices.Equal(names, tt.attachments) {
				t.Errorf("attachments = %q, want %q", names, tt.attachments)
			}
			if len(m.Warnings) == 0 {
				t.Error("no warnings for a broken message")
			}
		})
	}
}

func TestParse_SalvagesTheValidAddressesOfAMalformedList(t *testing.T) {
	m := parseFile(t, "broken_no_boundary.eml")
	want := []Address{{Email: "support@loket.example"}}
	if !slices.Equal(m.To, want) {
		t.Errorf("To = %+v, want %+v", m.To, want)
	}
	if m.From != (Address{}) {
		t.Errorf("From = %+v, want none", m.From)
	}
}

func TestParse_ReadsAMessageWithAnUnreadableHeaderAsText(t *testing.T) {
	m, err := Parse([]byte("this is not a header\n\nbut it is all we have\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "but it is all we have") || len(m.Warnings) == 0 {
		t.Errorf("Text = %q, Warnings = %q; want the input kept as text, with a warning", m.Text, m.Warnings)
	}
}

func TestParse_ReturnsErrEmptyAndAMailForEmptyInput(t *testing.T) {
	for _, raw := range []string{"", " \r\n\t\n"} {
		m, err := Parse([]byte(raw))
		if !errors.Is(err, ErrEmpty) {
			t.Errorf("Parse(%q) error = %v, want ErrEmpty", raw, err)
		}
		if m == nil || len(m.Warnings) == 0 {
			t.Errorf("Parse(%q) = %+v, want a Mail with a warning", raw, m)
		}
	}
}

func TestParse_ReadsDeliveryStatusOfABounce(t *testing.T) {
	m := parseFile(t, "bounce_dsn.eml")
	if m.Auto != AutoBounce {
		t.Errorf("Auto = %v, want bounce", m.Auto)
	}
	if m.DSN == nil {
		t.Fatal("DSN = nil")
	}
	want := DSN{
		OriginalMessageID: "ticket-1046-msg-2@loket.example",
		Recipients: []DSNRecipient{
			{
				Recipient:      "onbekend@klant.nl",
				Action:         "failed",
				Status:         "5.1.1",
				DiagnosticCode: "550 5.1.1 <onbekend@klant.nl>: Recipient address rejected: User unknown in virtual mailbox table",
			},
			{Recipient: "vol@klant.nl", Action: "delayed", Status: "4.2.2", DiagnosticCode: "452 4.2.2 Mailbox full"},
		},
	}
	if m.DSN.OriginalMessageID != want.OriginalMessageID || !slices.Equal(m.DSN.Recipients, want.Recipients) {
		t.Errorf("DSN =\n%+v\nwant\n%+v", *m.DSN, want)
	}
}

func TestParse_FindsTheOriginalMessageIDOfABounceWhereverItIs(t *testing.T) {
	status := "Reporting-MTA: dns; exchange.klant.nl\r\n%s\r\n\r\nFinal-Recipient: rfc822;<weg@klant.nl>\r\nAction: failed\r\nStatus: 5.1.10\r\n"
	tests := []struct {
		name, third, perMessage, want string
	}{
		{
			name:  "returned headers only",
			third: "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@loket.example\r\nMessage-ID: <headers-only@loket.example>\r\nSubject: x\r\n\r\n",
			want:  "headers-only@loket.example",
		},
		{
			name:       "delivery-status field",
			perMessage: "X-Original-Message-ID: <in-status@loket.example>",
			want:       "in-status@loket.example",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "--b\r\nContent-Type: text/plain\r\n\r\nDelivery has failed.\r\n" +
				"--b\r\nContent-Type: message/delivery-status\r\n\r\n" + strings.Replace(status, "%s", tt.perMessage, 1) +
				tt.third + "--b--\r\n"
			m, err := Parse(message(body,
				"From: postmaster@klant.nl",
				"Subject: Undeliverable: x",
				`Content-Type: multipart/report; report-type=delivery-status; boundary="b"`))
			if err != nil {
				t.Fatal(err)
			}
			if m.DSN == nil {
				t.Fatal("DSN = nil")
			}
			if m.DSN.OriginalMessageID != tt.want {
				t.Errorf("OriginalMessageID = %q, want %q", m.DSN.OriginalMessageID, tt.want)
			}
			wantRecipient := DSNRecipient{Recipient: "weg@klant.nl", Action: "failed", Status: "5.1.10"}
			if !slices.Equal(m.DSN.Recipients, []DSNRecipient{wantRecipient}) {
				t.Errorf("Recipients = %+v, want %+v", m.DSN.Recipients, wantRecipient)
			}
		})
	}
}

func TestParse_LeavesDSNNilForABounceWithoutStatus(t *testing.T) {
	m, err := Parse(message("Your message could not be delivered.\r\n",
		"From: MAILER-DAEMON@old.example", "Subject: failure notice"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Auto != AutoBounce || m.DSN != nil {
		t.Errorf("Auto = %v, DSN = %+v; want bounce without DSN", m.Auto, m.DSN)
	}
}

func TestParse_ReadsWindows1252TextLabelledISO88591(t *testing.T) {
	m, err := Parse(message("Prijs: =80 10, =93inclusief=94 btw",
		"From: a@example.nl",
		"Subject: =?iso-8859-1?q?=80_10?=",
		"Content-Type: text/plain; charset=iso-8859-1",
		"Content-Transfer-Encoding: quoted-printable"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "Prijs: € 10, “inclusief” btw" || m.Subject != "€ 10" {
		t.Errorf("Text = %q, Subject = %q", m.Text, m.Subject)
	}
}

func TestUnflow_JoinsSoftLineBreaksPerRFC3676(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		delSp bool
		want  string
	}{
		{
			name: "soft breaks join, hard breaks stay",
			text: "one two \r\nthree\r\nfour\r\n",
			want: "one two three\nfour\n",
		},
		{
			name:  "DelSp removes the space that marked the break",
			text:  "Donau \r\ndampf \r\nschiff\r\n",
			delSp: true,
			want:  "Donaudampfschiff\n",
		},
		{
			name: "quote depth changes end a paragraph and space stuffing is undone",
			text: "> quoted \r\n> more\r\n>\r\n  stuffed\r\n",
			want: "> quoted more\n>\n stuffed\n",
		},
		{
			name: "signature separator is not a soft break",
			text: "bye\r\n-- \r\nJan\r\n",
			want: "bye\n-- \nJan\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := unflow(tt.text, tt.delSp); got != tt.want {
				t.Errorf("unflow() = %q, want %q", got, tt.want)
			}
		})
	}
}
