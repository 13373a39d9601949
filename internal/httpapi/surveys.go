package httpapi

import (
	"encoding/csv"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/survey"
)

// maxSurveyExport bounds the answers one CSV export holds.
const maxSurveyExport = 100_000

// listSurveys lists answered surveys with their comments, newest first:
// GET /api/v1/surveys?kind=&from=&to=&channel_id=&team_id=, where from and
// to are RFC 3339 times or Unix milliseconds. With format=csv it is a CSV
// download of up to maxSurveyExport answers instead of 500.
func (s *Server) listSurveys(w http.ResponseWriter, r *http.Request, _ *principal) error {
	q := r.URL.Query()
	f := store.SurveyFilter{Kind: domain.SurveyKind(q.Get("kind"))}
	if f.Kind != "" && !f.Kind.Valid() {
		return errorf(http.StatusBadRequest, "invalid_query", "kind must be csat or nps")
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return errorf(http.StatusBadRequest, "invalid_format", "format is json or csv")
	}
	if format == "csv" {
		f.Limit = maxSurveyExport
	}
	var err error
	if f.From, err = queryTime(r, "from"); err != nil {
		return err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return err
	}
	if f.ChannelID, err = queryInt(r, "channel_id"); err != nil {
		return err
	}
	if f.TeamID, err = queryInt(r, "team_id"); err != nil {
		return err
	}
	list, err := s.store.AnsweredSurveys(r.Context(), f)
	if err != nil {
		return err
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, map[string]any{"surveys": list})
		return nil
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="loket-surveys.csv"`)
	return writeSurveysCSV(w, list)
}

// writeSurveysCSV writes one row per answer, times in UTC (RFC 3339).
// Comments are the customers' own text: one that a spreadsheet would take
// for a formula is led by an apostrophe.
func writeSurveysCSV(w io.Writer, list []*domain.Survey) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "kind", "score", "comment", "answered_at", "commented_at", "ticket_id", "contact_id", "channel_id", "team_id", "language"})
	at := func(ms int64) string {
		if ms == 0 {
			return ""
		}
		return time.UnixMilli(ms).UTC().Format(time.RFC3339)
	}
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, v := range list {
		cw.Write([]string{id(v.ID), string(v.Kind), strconv.Itoa(v.Score), spreadsheetSafe(v.Comment), at(v.AnsweredAt), at(v.CommentedAt),
			id(v.TicketID), id(v.ContactID), id(v.ChannelID), id(v.TeamID), v.Language})
	}
	cw.Flush()
	return cw.Error()
}

// spreadsheetSafe leads text that starts like a formula with an apostrophe.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// queryTime reads a time parameter given as RFC 3339 or Unix milliseconds.
func queryTime(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return 0, errorf(http.StatusBadRequest, "invalid_query", "query parameter %s must be an RFC 3339 time or Unix milliseconds", name)
	}
	return t.UnixMilli(), nil
}

// surveyPage shows the public page of a survey link: the scale to click,
// and once answered the answer (changeable for survey.AnswerDays) and a
// comment box. A link this server did not make is a 404, one past its
// days a 410, each with a page that says so.
func (s *Server) surveyPage(w http.ResponseWriter, r *http.Request, _ *principal) error {
	v, err := s.desk.SurveyByToken(r.Context(), r.PathValue("token"))
	s.renderSurvey(w, r, v, err, false)
	return nil
}

// answerSurvey records a click on a score (form field score) or a comment
// (field comment) from the survey page, then shows the page again.
func (s *Server) answerSurvey(w http.ResponseWriter, r *http.Request, _ *principal) error {
	token := r.PathValue("token")
	v, err := s.desk.SurveyByToken(r.Context(), token)
	if err == nil {
		if s.csrf.Check(r) != nil {
			err = domain.Invalid("csrf", "cross-origin request refused")
		}
	}
	if err == nil {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		var a desk.SurveyAnswer
		if r.ParseForm() != nil {
			err = domain.Invalid("invalid_form", "the form could not be read")
		}
		if raw := r.PostFormValue("score"); err == nil && raw != "" {
			n, perr := strconv.Atoi(raw)
			if perr != nil {
				n = -1
			}
			a.Score = &n
		}
		if _, ok := r.PostForm["comment"]; ok {
			c := domain.CleanText(r.PostFormValue("comment"))
			a.Comment = &c
		}
		if err == nil {
			v, err = s.desk.AnswerSurvey(r.Context(), v.ID, a)
		}
	}
	s.renderSurvey(w, r, v, err, err == nil && r.PostForm.Has("comment"))
	return nil
}

func (s *Server) renderSurvey(w http.ResponseWriter, r *http.Request, v *domain.Survey, err error, commented bool) {
	code := surveyLanguage(v, r)
	p := surveyView{Lang: code, T: surveyTexts[code], Commented: commented}
	status := http.StatusOK
	var invalid *domain.Error
	switch {
	case errors.Is(err, domain.ErrNotFound):
		status, p.Problem = http.StatusNotFound, p.T.NotFound
	case errors.Is(err, desk.ErrSurveyExpired):
		status, p.Problem = http.StatusGone, p.T.Expired
	case errors.As(err, &invalid):
		status, p.Problem = http.StatusUnprocessableEntity, invalid.Message
	case err != nil:
		s.log.Error("survey page", "err", err)
		status, p.Problem = http.StatusInternalServerError, p.T.Failed
	}
	if v != nil && p.Problem == "" {
		p.Action = r.URL.Path
		p.Question = p.T.CSAT
		if v.Kind == domain.SurveyNPS {
			p.Question = p.T.NPS
		}
		lo, hi := v.Kind.Scale()
		for n := lo; n <= hi; n++ {
			p.Scores = append(p.Scores, surveyScore{N: n, Chosen: v.Answered() && v.Score == n})
		}
		p.Low, p.High = scaleLabels(v.Kind, p.T)
		p.Answered, p.Comment = v.Answered(), v.Comment
		p.Until = time.UnixMilli(v.SentAt + survey.AnswerDays*24*3600*1000).UTC().Format("2006-01-02")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := surveyTemplate.Execute(w, p); err != nil {
		s.log.Warn("survey page", "err", err)
	}
}

// surveyLanguage is the survey's language, else the browser's.
func surveyLanguage(v *domain.Survey, r *http.Request) string {
	if v != nil && v.Language != "" {
		return survey.Language(v.Language)
	}
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	first, _, _ = strings.Cut(first, ";")
	return survey.Language(strings.TrimSpace(first))
}

func scaleLabels(k domain.SurveyKind, t surveyText) (string, string) {
	if k == domain.SurveyNPS {
		return t.Unlikely, t.Likely
	}
	return t.Bad, t.Great
}

type surveyScore struct {
	N      int
	Chosen bool
}

type surveyView struct {
	Lang, Problem, Action, Question string
	T                               surveyText
	Scores                          []surveyScore
	Low, High                       string
	Answered, Commented             bool
	Comment, Until                  string
}

type surveyText struct {
	Title, CSAT, NPS, Bad, Great, Unlikely, Likely, Thanks, Change, CommentLabel, Send, Commented string
	NotFound, Expired, Failed                                                                     string
}

var surveyTexts = map[string]surveyText{
	"en": {Title: "Your opinion", CSAT: "How satisfied are you with how we helped you?", NPS: "How likely are you to recommend us to a friend or colleague?",
		Bad: "Bad", Great: "Great", Unlikely: "Not at all likely", Likely: "Extremely likely",
		Thanks: "Thank you for your answer!", Change: "You can change it until", CommentLabel: "Anything you would like to add?", Send: "Send",
		Commented: "Thank you, we have received your comment.",
		NotFound:  "This survey link is not valid. Please use the link from our message.", Expired: "This survey has closed; thank you all the same.",
		Failed: "Something went wrong. Please try again later."},
	"nl": {Title: "Uw mening", CSAT: "Hoe tevreden bent u over onze hulp?", NPS: "Hoe waarschijnlijk is het dat u ons aanbeveelt bij een vriend of collega?",
		Bad: "Slecht", Great: "Uitstekend", Unlikely: "Zeer onwaarschijnlijk", Likely: "Zeer waarschijnlijk",
		Thanks: "Bedankt voor uw antwoord!", Change: "U kunt het wijzigen tot", CommentLabel: "Wilt u nog iets toevoegen?", Send: "Versturen",
		Commented: "Bedankt, we hebben uw opmerking ontvangen.",
		NotFound:  "Deze enquêtelink is niet geldig. Gebruik de link uit ons bericht.", Expired: "Deze enquête is gesloten; toch bedankt.",
		Failed: "Er ging iets mis. Probeer het later opnieuw."},
	"de": {Title: "Ihre Meinung", CSAT: "Wie zufrieden sind Sie mit unserer Hilfe?", NPS: "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
		Bad: "Schlecht", Great: "Sehr gut", Unlikely: "Sehr unwahrscheinlich", Likely: "Sehr wahrscheinlich",
		Thanks: "Vielen Dank für Ihre Antwort!", Change: "Sie können sie ändern bis", CommentLabel: "Möchten Sie noch etwas hinzufügen?", Send: "Senden",
		Commented: "Vielen Dank, wir haben Ihren Kommentar erhalten.",
		NotFound:  "Dieser Umfragelink ist ungültig. Bitte verwenden Sie den Link aus unserer Nachricht.", Expired: "Diese Umfrage ist geschlossen; trotzdem vielen Dank.",
		Failed: "Etwas ist schiefgelaufen. Bitte versuchen Sie es später erneut."},
}

var surveyTemplate = template.Must(template.New("survey").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{.T.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:1.5rem 1rem;background:#f6f7f9;color:#1d2330}
main{max-width:34rem;margin:0 auto;background:#fff;border-radius:.75rem;padding:1.5rem;box-shadow:0 1px 3px #0002}
h1{font-size:1.25rem;margin:0 0 1rem}
.scale{display:flex;flex-wrap:wrap;gap:.4rem}
.scale button{flex:1 0 2.6rem;min-height:2.8rem;font-size:1.1rem;border:1px solid #b8c0cc;border-radius:.5rem;background:#fff;cursor:pointer}
.scale button[aria-pressed=true]{background:#1d5bd8;color:#fff;border-color:#1d5bd8}
.ends{display:flex;justify-content:space-between;font-size:.85rem;color:#5a6475;margin:.4rem 0 1rem}
textarea{width:100%;box-sizing:border-box;min-height:6rem;font:inherit;padding:.5rem;border:1px solid #b8c0cc;border-radius:.5rem}
.send{margin-top:.5rem;padding:.6rem 1.2rem;font:inherit;border:0;border-radius:.5rem;background:#1d5bd8;color:#fff}
.note{color:#5a6475;font-size:.9rem}
</style>
</head>
<body><main>
{{if .Problem}}<h1>{{.T.Title}}</h1><p role="alert">{{.Problem}}</p>{{else}}
<h1>{{.Question}}</h1>
<form method="post" action="{{.Action}}">
<div class="scale">{{range .Scores}}<button name="score" value="{{.N}}" aria-pressed="{{.Chosen}}">{{.N}}</button>{{end}}</div>
<div class="ends"><span>{{.Low}}</span><span>{{.High}}</span></div>
</form>
{{if .Answered}}<p><strong>{{.T.Thanks}}</strong> <span class="note">{{.T.Change}} {{.Until}}.</span></p>
{{if .Commented}}<p>{{.T.Commented}}</p>{{end}}
<form method="post" action="{{.Action}}">
<label for="comment">{{.T.CommentLabel}}</label>
<textarea id="comment" name="comment" maxlength="2000">{{.Comment}}</textarea>
<button class="send">{{.T.Send}}</button>
</form>{{end}}{{end}}
</main></body>
</html>
`))
