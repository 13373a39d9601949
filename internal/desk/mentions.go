package desk

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// mentionMarkup is the id form of a mention, @[label](agent:12): it names
// one agent whatever the label says, for names that are not unique.
var mentionMarkup = regexp.MustCompile(`^@\[[^\]\n]{0,200}\]\(agent:(\d{1,18})\)`)

// Mentions lists the agents a note's text names, in the order they are
// first named, without repeats. An agent is named by the id markup
// @[label](agent:ID) or by @ followed by the agent's exact name (ignoring
// case); the longest name that fits wins, so "@Jan de Vries" names Jan de
// Vries and not Jan. A name several agents share names none of them: the
// writer must use the markup. An @ right after a letter or digit (an e-mail
// address) names nobody, and disabled agents are never named.
func Mentions(text string, agents []*domain.Agent) []int64 {
	byID := make(map[int64]*domain.Agent, len(agents))
	for _, a := range agents {
		if !a.Disabled {
			byID[a.ID] = a
		}
	}
	var out []int64
	seen := map[int64]bool{}
	add := func(id int64) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	for i := 0; i < len(text); i++ {
		if text[i] != '@' || !mentionStart(text[:i]) {
			continue
		}
		if m := mentionMarkup.FindStringSubmatch(text[i:]); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			if _, ok := byID[id]; ok {
				add(id)
			}
			i += len(m[0]) - 1
			continue
		}
		if id, n := nameAt(text[i+1:], agents); id != 0 {
			add(id)
			i += n
		}
	}
	return out
}

// mentionStart reports whether an @ after before begins a mention: at the
// start or after something other than a letter, digit or address character.
func mentionStart(before string) bool {
	r, _ := utf8.DecodeLastRuneInString(before)
	if r == utf8.RuneError {
		return true
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-+@", r)
}

// nameAt finds the enabled agent whose name starts rest, the longest name
// first, and returns its id and the name's length in bytes; 0 when no name
// fits or the longest fitting name belongs to several agents.
func nameAt(rest string, agents []*domain.Agent) (int64, int) {
	var id int64
	best, shared := 0, false
	for _, a := range agents {
		n := len(a.Name)
		if a.Disabled || n == 0 || n < best || n > len(rest) || !strings.EqualFold(rest[:n], a.Name) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(rest[n:]); n < len(rest) && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			continue // only the start of a longer word
		}
		switch {
		case n > best:
			id, best, shared = a.ID, n, false
		case a.ID != id:
			shared = true
		}
	}
	if shared {
		return 0, 0
	}
	return id, best
}

// mentionEvents returns an agent.mentioned event for every agent a note
// names who may see its ticket, except the note's writer. The event is
// addressed through AssigneeID, so the realtime hub delivers it to the
// mentioned agent even when the ticket is not theirs.
func mentionEvents(ctx context.Context, tx *store.Store, t *domain.Ticket, m *domain.Message) ([]domain.Event, error) {
	if !strings.Contains(m.Text, "@") {
		return nil, nil
	}
	agents, err := tx.Agents(ctx)
	if err != nil {
		return nil, err
	}
	writer := domain.AgentRef{ID: m.AuthorID}
	byID := make(map[int64]*domain.Agent, len(agents))
	for _, a := range agents {
		byID[a.ID] = a
		if m.AuthorType == domain.AuthorAgent && a.ID == m.AuthorID {
			writer.Name = a.Name
		}
	}
	var events []domain.Event
	for _, id := range Mentions(m.Text, agents) {
		a := byID[id]
		if (m.AuthorType == domain.AuthorAgent && id == m.AuthorID) || !a.Viewer().CanSee(t.TeamID, t.AssigneeID) {
			continue
		}
		events = append(events, domain.Event{
			Type: domain.EventAgentMentioned, TicketID: t.ID, MessageID: m.ID, AssigneeID: id,
			Ticket: t, Message: m, Agent: &writer,
		})
	}
	return events, nil
}
