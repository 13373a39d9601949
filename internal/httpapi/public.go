package httpapi

import (
	"errors"
	"html/template"
	"net/http"
	"strings"

	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
)

type publicCheckRequest struct {
	Text      string `json:"text"`
	ChannelID int64  `json:"channel_id"`
}

// publicCheck tells the composer, before sending, whether a reply is
// public and needs approval, and what personal data it seems to hold.
func (s *Server) publicCheck(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req publicCheckRequest
	if err := decode(w, r, MaxInboundBytes, &req); err != nil {
		return err
	}
	t, err := s.visibleTicket(r, p, id)
	if err != nil {
		return err
	}
	res, err := s.desk.CheckReply(r.Context(), t, req.ChannelID, req.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

type takePrivateRequest struct {
	PublicText string `json:"public_text"`
	Text       string `json:"text"`
}

// takePrivate answers a public post briefly in public and goes on in
// private (desk.TakePrivate).
func (s *Server) takePrivate(w http.ResponseWriter, r *http.Request, p *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req takePrivateRequest
	if err := decode(w, r, MaxInboundBytes, &req); err != nil {
		return err
	}
	if _, err := s.visibleTicket(r, p, id); err != nil {
		return err
	}
	tp := desk.TakePrivate{TicketID: id, AgentID: p.agent.ID, Agent: p.agent.Name, PublicText: req.PublicText, Text: req.Text}
	if s.baseURL != "" {
		tp.IdentifyURL = func(token string) string { return s.baseURL + "/identify/" + token }
	}
	res, err := s.desk.TakePrivate(r.Context(), tp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, res)
	return nil
}

type moderateRequest struct {
	Action domain.Moderation `json:"action"`
}

// moderate hides, shows again or deletes a customer's public post on its
// site.
func (s *Server) moderate(w http.ResponseWriter, r *http.Request, p *principal) error {
	var req moderateRequest
	if err := decode(w, r, 1<<10, &req); err != nil {
		return err
	}
	m, err := s.visibleMessage(r, p)
	if err != nil {
		return err
	}
	if m, err = s.desk.Moderate(r.Context(), m.ID, p.agent.ID, p.agent.Name, req.Action); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// identifyPage shows the form at which a public post's author gives
// their e-mail address; answerIdentify mails them a confirmation link.
func (s *Server) identifyPage(w http.ResponseWriter, r *http.Request, _ *principal) error {
	v := identifyView{Form: true}
	_, v.err = s.store.IdentifyRequestByToken(r.Context(), secret.Hash(r.PathValue("token")))
	s.renderIdentify(w, r, v)
	return nil
}

func (s *Server) answerIdentify(w http.ResponseWriter, r *http.Request, _ *principal) error {
	v := identifyView{Form: true}
	token := r.PathValue("token")
	err := s.csrf.Check(r)
	if err == nil {
		r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
		err = r.ParseForm()
	}
	if err == nil {
		v.Email = strings.TrimSpace(r.PostFormValue("email"))
		err = s.desk.RequestIdentify(r.Context(), token, v.Email, func(code string) string {
			return s.baseURL + "/identify/" + token + "/" + code
		})
	}
	if err == nil {
		v.Form, v.Sent = false, true
	}
	v.err = err
	s.renderIdentify(w, r, v)
	return nil
}

// confirmPage asks the author to confirm with a button, so that a mail
// scanner following the link confirms nothing; confirmIdentify does it.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request, _ *principal) error {
	s.renderIdentify(w, r, identifyView{Confirm: true})
	return nil
}

func (s *Server) confirmIdentify(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var v identifyView
	err := s.csrf.Check(r)
	if err == nil {
		v.Email, err = s.desk.Identify(r.Context(), r.PathValue("token"), r.PathValue("code"))
	}
	v.Done, v.err = err == nil, err
	s.renderIdentify(w, r, v)
	return nil
}

type identifyView struct {
	Lang                     string
	T                        identifyText
	Form, Sent, Confirm      bool
	Done                     bool
	Email, Problem, Question string
	err                      error
}

type identifyText struct {
	Title, Intro, Label, Send, Sent, Confirm, ConfirmButton, Done, Invalid, Failed string
}

var identifyTexts = map[string]identifyText{
	"en": {Title: "Who are you?", Intro: "Give us your e-mail address so that our team can help you personally. We will send you a link to confirm it.",
		Label: "E-mail address", Send: "Send", Sent: "Thank you. Please open the link in the e-mail we have just sent you.",
		Confirm: "Please confirm that this is your e-mail address.", ConfirmButton: "Confirm", Done: "Thank you. Our team will get back to you personally.",
		Invalid: "This link is not valid (anymore).", Failed: "Something went wrong. Please try again later."},
	"nl": {Title: "Wie ben je?", Intro: "Geef je e-mailadres, dan helpt ons team je persoonlijk verder. We sturen je een link om het te bevestigen.",
		Label: "E-mailadres", Send: "Versturen", Sent: "Dank je wel. Open de link in de e-mail die we je net gestuurd hebben.",
		Confirm: "Bevestig dat dit jouw e-mailadres is.", ConfirmButton: "Bevestigen", Done: "Dank je wel. Ons team neemt persoonlijk contact met je op.",
		Invalid: "Deze link is niet (meer) geldig.", Failed: "Er ging iets mis. Probeer het later opnieuw."},
	"de": {Title: "Wer sind Sie?", Intro: "Geben Sie Ihre E-Mail-Adresse an, damit unser Team Ihnen persönlich helfen kann. Wir schicken Ihnen einen Link zur Bestätigung.",
		Label: "E-Mail-Adresse", Send: "Senden", Sent: "Vielen Dank. Bitte öffnen Sie den Link in der E-Mail, die wir Ihnen gerade geschickt haben.",
		Confirm: "Bitte bestätigen Sie, dass dies Ihre E-Mail-Adresse ist.", ConfirmButton: "Bestätigen", Done: "Vielen Dank. Unser Team meldet sich persönlich bei Ihnen.",
		Invalid: "Dieser Link ist nicht (mehr) gültig.", Failed: "Etwas ist schiefgelaufen. Bitte versuchen Sie es später erneut."},
}

func (s *Server) renderIdentify(w http.ResponseWriter, r *http.Request, v identifyView) {
	first, _, _ := strings.Cut(r.Header.Get("Accept-Language"), ",")
	v.Lang, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(first)), "-")
	if _, ok := identifyTexts[v.Lang]; !ok {
		v.Lang = "en"
	}
	v.T = identifyTexts[v.Lang]
	status := http.StatusOK
	var de *domain.Error
	switch {
	case v.err == nil:
	case errors.Is(v.err, domain.ErrNotFound):
		v.Problem, v.Form, v.Confirm, status = v.T.Invalid, false, false, http.StatusNotFound
	case errors.As(v.err, &de):
		v.Problem, status = de.Message, http.StatusUnprocessableEntity
		if de.Code == "wrong_code" || de.Code == "confirmed" {
			v.Problem, v.Form, v.Confirm = v.T.Invalid, false, false
		}
	default:
		s.log.Error("identify", "path", r.URL.Path, "err", v.err)
		v.Problem, v.Form, v.Confirm, status = v.T.Failed, false, false, http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := identifyTemplate.Execute(w, v); err != nil {
		s.log.Warn("render identify page", "err", err)
	}
}

var identifyTemplate = template.Must(template.New("identify").Parse(`<!doctype html>
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
input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;border:1px solid #b8c0cc;border-radius:.5rem}
button{margin-top:.75rem;padding:.6rem 1.2rem;font:inherit;border:0;border-radius:.5rem;background:#1d5bd8;color:#fff;cursor:pointer}
</style>
</head>
<body><main>
<h1>{{.T.Title}}</h1>
{{if .Problem}}<p role="alert">{{.Problem}}</p>{{end}}
{{if .Form}}<p>{{.T.Intro}}</p>
<form method="post">
<label for="email">{{.T.Label}}</label>
<input id="email" name="email" type="email" autocomplete="email" required maxlength="254" value="{{.Email}}">
<button>{{.T.Send}}</button>
</form>{{end}}
{{if .Sent}}<p>{{.T.Sent}}</p>{{end}}
{{if .Confirm}}<p>{{.T.Confirm}}</p><form method="post"><button>{{.T.ConfirmButton}}</button></form>{{end}}
{{if .Done}}<p><strong>{{.T.Done}}</strong> ({{.Email}})</p>{{end}}
</main></body>
</html>
`))
