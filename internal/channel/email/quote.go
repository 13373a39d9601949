package email

import (
	"regexp"
	"strings"
)

// The patterns below recognise, line by line, the text that mail clients
// put around quoted history and signatures, in the languages Loket's
// customers write in (English, Dutch, German) and a few neighbours.
var (
	// attributionRe matches the line that introduces a quote, such as
	// "On Mon, 2 Mar 2026 at 10:15, Jan <jan@example.nl> wrote:" (Gmail,
	// Apple Mail, Thunderbird), "Op ma 2 mrt 2026 om 10:15 schreef Jan:",
	// "Op 2 mrt 2026 heeft Jan het volgende geschreven:" or
	// "Am 02.03.26 um 10:15 schrieb Jan:".
	attributionRe = regexp.MustCompile(`(?i)^\s*(on\s.*\swrote|op\s.*\s(schreef(\s.*)?|geschreven)|am\s.*\sschrieb(\s.*)?|le\s.*\sa\s+écrit|el\s.*\sescribió)\s*:\s*$`)
	// attributionStartRe matches the first words of an attribution, to try
	// joining it with the next line when a client wrapped it.
	attributionStartRe = regexp.MustCompile(`(?i)^\s*(on|op|am|le|el)\s`)

	// originalMessageRe matches text starting with Outlook's
	// "-----Original Message-----" separator or a translation.
	originalMessageRe = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|oorspronkelijk bericht|origineel bericht|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}`)

	// forwardMarkerRe matches the line that introduces an inline forwarded
	// message (Gmail, Thunderbird, Apple Mail).
	forwardMarkerRe = regexp.MustCompile(`(?i)^\s*(-{2,}\s*(forwarded message|doorgestuurd bericht|weitergeleitete nachricht|message transféré|mensaje reenviado)\s*-{2,}|begin forwarded message:|begin doorgestuurd bericht:|anfang der weitergeleiteten nachricht:)\s*$`)

	// forwardSubjectRe matches the subject prefixes clients add when
	// forwarding.
	forwardSubjectRe = regexp.MustCompile(`(?i)^\s*(fwd?|wg|doorst|tr|rv|enc)\s*:`)

	// Outlook quotes history as a header block: a From line followed by
	// Sent/Date, To and Subject lines, each label possibly in bold ("*From:*"
	// once rendered as text). The Subject line is required; it tells the
	// block from, say, a travel itinerary. The line patterns match a label
	// at the start of a line; the field patterns match one anywhere in the
	// collapsed text of an HTML block.
	fromLineRe     = regexp.MustCompile(`(?i)^\s*\*?(from|van|von|de|da)\s*:\*?\s*\S`)
	dateLineRe     = regexp.MustCompile(`(?i)^\s*\*?` + dateLabels + `\s*:`)
	subjectLineRe  = regexp.MustCompile(`(?i)^\s*\*?` + subjectLabels + `\s*:`)
	dateFieldRe    = regexp.MustCompile(`(?i)(^|\s|\*)` + dateLabels + `\s*:`)
	subjectFieldRe = regexp.MustCompile(`(?i)(^|\s|\*)` + subjectLabels + `\s*:`)

	// mobileSignatureRe matches the one-line signatures mobile clients add.
	mobileSignatureRe = regexp.MustCompile(`(?i)^\s*(sent from my \S.{0,40}|verstuurd vanaf mijn \S.{0,40}|verzonden vanaf mijn \S.{0,40}|von meinem \S.{0,40} gesendet|envoyé de mon \S.{0,40}|get outlook for (ios|android)\b.*|sent from outlook\b.{0,40}|sent from mail for windows\b.*)\s*$`)
)

// The labels of the date and subject fields in an Outlook reply header, in
// the languages Outlook is used in here.
const (
	dateLabels    = `(sent|verzonden|gesendet|date|datum|envoyé|enviado|inviato)`
	subjectLabels = `(subject|onderwerp|betreff|objet|asunto|oggetto)`
)

// replyHeaderLines is how many lines after a From line are searched for the
// rest of an Outlook reply header.
const replyHeaderLines = 6

// newText returns the new part of a plain-text body: all of it for a
// forwarded message, the text without history and signature otherwise.
func newText(text, subject string) string {
	if isForward(subject, text) {
		return trimBlankLines(text)
	}
	t, _ := stripTextHistory(text)
	return t
}

// isForward reports whether a message forwards another one inline, so that
// its history is content to keep: the first history marker in its text
// introduces a forwarded message, or its subject says it is a forward and
// its text holds history (an Outlook forward looks like a reply inside).
// A forward whose original is attached has no history in its text and is
// read like any other message.
func isForward(subject, text string) bool {
	lines := splitLines(text)
	for i, line := range lines {
		switch {
		case forwardMarkerRe.MatchString(line):
			return true
		case isQuoted(line), originalMessageRe.MatchString(line),
			isReplyHeaderBlock(lines, i), attributionLen(lines, i) > 0:
			return forwardSubjectRe.MatchString(subject)
		}
	}
	return false
}

// stripTextHistory removes quoted history and the signature from a
// plain-text body, and reports whether it removed anything. Lines quoted
// with ">" and the attribution line above them are removed wherever they
// are, so replies written below or between quotes survive. A signature
// separator, mobile signature, "Original Message" line, Outlook reply
// header or an attribution without ">" quoting below it ends the new text.
func stripTextHistory(text string) (string, bool) {
	lines := splitLines(text)
	drop := make([]bool, len(lines))
	end := len(lines)
	stripped := false
scan:
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case isQuoted(line):
			drop[i] = true
			stripped = true
		case isSignatureSeparator(line), mobileSignatureRe.MatchString(line),
			originalMessageRe.MatchString(line), isReplyHeaderBlock(lines, i):
			end = i
			stripped = true
			break scan
		default:
			n := attributionLen(lines, i)
			if n == 0 {
				continue
			}
			stripped = true
			if !quoteFollows(lines, i+n) {
				end = i
				break scan
			}
			for j := i; j < i+n; j++ {
				drop[j] = true
			}
			i += n - 1
		}
	}

	var kept []string
	for i, line := range lines[:end] {
		if !drop[i] {
			kept = append(kept, line)
		}
	}
	for len(kept) > 0 && isBlankOrRule(kept[len(kept)-1]) {
		kept = kept[:len(kept)-1]
	}
	return trimBlankLines(strings.Join(kept, "\n")), stripped
}

// trimBlankLines normalises a text for display and comparison: "\n" line
// ends, no trailing spaces, no leading or trailing blank lines and no runs
// of more than one blank line.
func trimBlankLines(text string) string {
	var out []string
	blank := 0
	for _, line := range splitLines(text) {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			blank++
			continue
		}
		if blank > 0 && len(out) > 0 {
			out = append(out, "")
		}
		blank = 0
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// splitLines splits text into lines, accepting any line-end convention.
func splitLines(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	return strings.Split(text, "\n")
}

// isQuoted reports whether line is quoted with ">".
func isQuoted(line string) bool {
	return strings.HasPrefix(line, ">")
}

// isSignatureSeparator reports whether line is the "-- " signature
// separator (RFC 3676), also accepted without its trailing space.
func isSignatureSeparator(line string) bool {
	return strings.TrimRight(line, " \t") == "--"
}

// isBlankOrRule reports whether line is empty or a horizontal rule such as
// the line of underscores Outlook puts above a reply header.
func isBlankOrRule(line string) bool {
	return strings.Trim(line, " \t_-=") == ""
}

// isReplyHeaderBlock reports whether lines[i] starts an Outlook reply
// header: a From line followed closely by a Sent/Date line and a Subject
// line.
func isReplyHeaderBlock(lines []string, i int) bool {
	if !fromLineRe.MatchString(lines[i]) {
		return false
	}
	var date, subject bool
	for _, l := range lines[i+1 : min(len(lines), i+1+replyHeaderLines)] {
		date = date || dateLineRe.MatchString(l)
		subject = subject || subjectLineRe.MatchString(l)
	}
	return date && subject
}

// isReplyHeaderText reports whether s, the whitespace-collapsed text at the
// start of an HTML block, is an Outlook reply header.
func isReplyHeaderText(s string) bool {
	return fromLineRe.MatchString(s) && dateFieldRe.MatchString(s) && subjectFieldRe.MatchString(s)
}

// maxAttributionLen bounds the length of an attribution line; anything
// longer is a paragraph that happens to end in "wrote:".
const maxAttributionLen = 250

// attributionLen returns how many lines, starting at lines[i], form an
// attribution line (clients wrap long ones), or 0. Clients always put the
// date in an attribution, so text without a digit is not one: that keeps a
// sentence such as "Op de factuur ... Ik schreef u eerder:" in the new text.
func attributionLen(lines []string, i int) int {
	if !attributionStartRe.MatchString(lines[i]) {
		return 0
	}
	joined := lines[i]
	for n := 1; n <= 3 && i+n <= len(lines) && len(joined) <= maxAttributionLen; n++ {
		if strings.HasSuffix(strings.TrimSpace(joined), ":") && strings.ContainsAny(joined, "0123456789") &&
			attributionRe.MatchString(joined) {
			return n
		}
		if i+n == len(lines) || strings.TrimSpace(lines[i+n]) == "" {
			return 0
		}
		joined += " " + strings.TrimSpace(lines[i+n])
	}
	return 0
}

// quoteFollows reports whether the first non-blank line from lines[i] on is
// quoted with ">".
func quoteFollows(lines []string, i int) bool {
	for ; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "" {
			return isQuoted(lines[i])
		}
	}
	return false
}
