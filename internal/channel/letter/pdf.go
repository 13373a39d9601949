package letter

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Page is everything printed on one letter.
type Page struct {
	Company        string
	CompanyAddress []string
	Footer         []string
	Logo           []byte // PNG or JPEG; none when empty
	// Recipient is the address window: name and postal address lines.
	Recipient []string
	// Language is the customer's language, in which the date and the
	// labels are written; English when not known.
	Language  string
	Date      time.Time
	Subject   string
	Reference string // the ticket number, such as #10001
	Body      string
}

// labels are the words a letter prints, per language.
type labels struct {
	months             [12]string
	dayFirst           string // date layout with %d day, %s month, %d year
	subject, reference string
	page               string // "Page %d of %s"
}

var languages = map[string]labels{
	"en": {[12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		"%d %s %d", "Subject", "Our reference", "Page %d of %s"},
	"nl": {[12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		"%d %s %d", "Onderwerp", "Ons kenmerk", "Pagina %d van %s"},
	"de": {[12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		"%d. %s %d", "Betreff", "Unser Zeichen", "Seite %d von %s"},
	"fr": {[12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		"%d %s %d", "Objet", "Notre référence", "Page %d sur %s"},
}

// labelsFor picks the labels of a language tag such as "de-AT".
func labelsFor(lang string) labels {
	base, _, _ := strings.Cut(strings.ToLower(lang), "-")
	if l, ok := languages[base]; ok {
		return l
	}
	return languages["en"]
}

// FormatDate writes t as a letter's date in language lang, such as
// "8. Dezember 2026".
func FormatDate(t time.Time, lang string) string {
	l := labelsFor(lang)
	return fmt.Sprintf(l.dayFirst, t.Day(), l.months[t.Month()-1], t.Year())
}

// A4 layout in millimetres, after DIN 5008: the address window of a DL
// envelope sits 45 mm from the top and 20 mm from the left edge.
const (
	marginLeft  = 25.0
	marginRight = 20.0
	windowTop   = 45.0
	footerSpace = 28.0
)

// Render writes p as a PDF. The core fonts print in code page 1252, which
// holds every letter of Dutch, German, French and English and the euro
// sign; characters outside it print as a dot.
func Render(w io.Writer, p *Page) error {
	l := labelsFor(p.Language)
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(p.Date)
	pdf.SetModificationDate(p.Date)
	pdf.SetMargins(marginLeft, 20, marginRight)
	pdf.SetAutoPageBreak(true, footerSpace)
	pdf.SetTitle(p.Subject, true)
	pdf.SetAuthor(p.Company, true)
	pdf.AliasNbPages("{nb}")
	tr := pdf.UnicodeTranslatorFromDescriptor("cp1252")
	pageW, pageH := pdf.GetPageSize()
	textW := pageW - marginLeft - marginRight

	pdf.SetFooterFunc(func() {
		pdf.SetY(pageH - footerSpace + 6)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(90, 90, 90)
		for _, line := range p.Footer {
			pdf.CellFormat(textW, 4, tr(line), "", 1, "C", false, 0, "")
		}
		pdf.CellFormat(textW, 4, tr(fmt.Sprintf(l.page, pdf.PageNo(), "{nb}")), "", 1, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()

	if len(p.Logo) > 0 {
		typ, _ := imageType(p.Logo)
		opts := fpdf.ImageOptions{ImageType: typ, ReadDpi: false}
		pdf.RegisterImageOptionsReader("logo", opts, bytes.NewReader(p.Logo))
		pdf.ImageOptions("logo", pageW-marginRight-40, 12, 40, 0, false, opts, 0, "")
	}
	pdf.SetXY(marginLeft, 15)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(textW-45, 7, tr(p.Company), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	for _, line := range p.CompanyAddress {
		pdf.CellFormat(textW-45, 4.5, tr(line), "", 1, "L", false, 0, "")
	}

	// The return address above the window, then the customer's address.
	pdf.SetXY(marginLeft, windowTop)
	pdf.SetFont("Helvetica", "U", 7)
	pdf.CellFormat(85, 4, tr(strings.Join(append([]string{p.Company}, p.CompanyAddress...), " · ")), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.SetY(windowTop + 6)
	for _, line := range p.Recipient {
		pdf.CellFormat(85, 5, tr(line), "", 1, "L", false, 0, "")
	}

	pdf.SetY(98)
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(textW, 5, tr(FormatDate(p.Date, p.Language)), "", 1, "R", false, 0, "")
	pdf.CellFormat(textW, 5, tr(l.reference+": "+p.Reference), "", 1, "R", false, 0, "")
	pdf.Ln(6)
	if p.Subject != "" {
		pdf.SetFont("Helvetica", "B", 11)
		pdf.MultiCell(textW, 5.5, tr(l.subject+": "+p.Subject), "", "L", false)
		pdf.Ln(5)
	}
	pdf.SetFont("Helvetica", "", 11)
	for _, para := range paragraphs(p.Body) {
		pdf.MultiCell(textW, 5.5, tr(para), "", "L", false)
		pdf.Ln(3)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("render letter PDF: %w", err)
	}
	return nil
}

// paragraphs splits text at blank lines; single line breaks stay.
func paragraphs(text string) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\t", "    ")
	var out []string
	for p := range strings.SplitSeq(text, "\n\n") {
		if p = strings.Trim(p, "\n "); p != "" {
			out = append(out, p)
		}
	}
	return out
}
