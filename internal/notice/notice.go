// Package notice mails Loket's own notices to agents, such as a lock on
// their account after failed sign-ins. A notice is a durable task, queued
// in the transaction that caused it, and sent through the enabled e-mail
// channel with the lowest id that can send: Loket has no mail server of its
// own. It never writes to customers and never touches tickets.
package notice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"loket.dev/loket/internal/channel/email"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/tasks"
)

// TaskKind is the kind of the tasks that send notices.
const TaskKind = "agent.notice"

// Notice is one mail to an agent.
type Notice struct {
	AgentID int64  `json:"agent_id"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// Enqueue queues n in st, which may be a transaction.
func Enqueue(ctx context.Context, st *store.Store, n Notice) error {
	payload, err := json.Marshal(n)
	if err != nil {
		return err
	}
	if _, _, err := st.AddTask(ctx, store.Task{Kind: TaskKind, Payload: payload, MaxAttempts: 10}); err != nil {
		return fmt.Errorf("queue notice to agent %d: %w", n.AgentID, err)
	}
	return nil
}

// Sender sends queued notices; register Handle with the task runner.
type Sender struct {
	Store *store.Store
	Mail  *email.Adapter
}

// Handle sends one notice task.
func (s *Sender) Handle(ctx context.Context, job store.Job) error {
	var n Notice
	if err := json.Unmarshal(job.Payload, &n); err != nil {
		return tasks.Permanent(fmt.Errorf("notice payload: %w", err))
	}
	a, err := s.Store.Agent(ctx, n.AgentID)
	if errors.Is(err, domain.ErrNotFound) {
		return tasks.Permanent(err)
	} else if err != nil {
		return err
	}
	chans, err := s.Store.Channels(ctx, email.Kind)
	if err != nil {
		return err
	}
	slices.SortFunc(chans, func(x, y *domain.Channel) int { return int(x.ID - y.ID) })
	for _, ch := range chans {
		if email.CanSendNotices(ch) {
			return s.Mail.SendNotice(ctx, ch, a.Email, n.Subject, n.Text)
		}
	}
	// Retried: an admin may yet set up an e-mail channel.
	return errors.New("no enabled e-mail channel with an smtp server can send notices to agents")
}
