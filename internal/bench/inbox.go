package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"time"

	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/store"
)

// inboxOp is one measured query of the inbox benchmark.
type inboxOp struct {
	name string
	d    []time.Duration
	rows int // results returned, over all runs
}

// measure runs f, which returns how many results it got, and records how
// long it took.
func (op *inboxOp) measure(f func() (int, error)) error {
	t0 := time.Now()
	n, err := f()
	if err != nil {
		return fmt.Errorf("%s: %w", op.name, err)
	}
	op.d = append(op.d, time.Since(t0))
	op.rows += n
	return nil
}

// benchInbox times, through the store, the queries behind an agent's
// screens on a seeded database: the team queue (first page, and pages
// anywhere in it by cursor), the supervisor's list of all open tickets,
// text search, and opening a ticket.
func benchInbox(ctx context.Context, args []string, storeFlags StoreFlags) error {
	var iterations, searches, pages int
	var word string
	var seed uint64
	var timeout time.Duration
	fs := flag.NewFlagSet("bench inbox", flag.ExitOnError)
	openStore := storeFlags(fs)
	fs.IntVar(&iterations, "iterations", 500, "times the lists and ticket open are measured")
	fs.IntVar(&searches, "search-iterations", 50, "times each text search is measured (at most --iterations)")
	fs.IntVar(&pages, "pages", 5, "queue pages beyond the first, picked at random, fetched by cursor in each iteration")
	fs.StringVar(&word, "word", "levering", "a word that occurs in many messages, for the text search")
	fs.Uint64Var(&seed, "seed", 1, "random seed for the tickets opened")
	fs.DurationVar(&timeout, "timeout", 10*time.Minute, "stop measuring after this long")
	fs.Parse(args)
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("bench inbox: unexpected argument %q", fs.Arg(0))
	case iterations <= 0 || searches < 0 || pages < 1 || timeout <= 0:
		return errors.New("bench inbox: --iterations, --pages and --timeout must be positive, --search-iterations not negative")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	last, err := lastTicketID(ctx, st)
	if err != nil {
		return err
	}
	team, queue, queued, cursors, err := longestQueue(ctx, st)
	if err != nil {
		return err
	}
	if team == nil || last == 0 {
		return errors.New("bench inbox: the database has no tickets or no team with agents; fill it with loket bench seed first")
	}
	agent, supervisor := queue.Viewer, domain.Viewer{Role: domain.RoleSupervisor}
	active := queue.Statuses
	fmt.Printf("Loket inbox benchmark on %s: ticket ids up to %d\nmachine: %s\n", st.URL(), last, machineLoad())
	fmt.Printf("agent %d of team %q: queue of %d tickets (new, open, pending) in %d pages of 50\n",
		agent.AgentID, team.Name, queued, len(cursors)+1)

	ops := []*inboxOp{
		{name: "agent queue, page 1"},
		{name: fmt.Sprintf("agent queue, a random page of 2–%d by cursor", len(cursors)+1)},
		{name: "supervisor all open, page 1"},
		{name: "ticket open (ticket + contact + messages)"},
		{name: fmt.Sprintf("text search %q", word)},
		{name: "text search order number (1 ticket)"},
	}
	queue1, deep, allOpen, open, searchWord, searchOrder := ops[0], ops[1], ops[2], ops[3], ops[4], ops[5]
	rng := rand.New(rand.NewPCG(seed, 0x1b0c))

	iteration := func(search bool) error {
		err := queue1.measure(func() (int, error) {
			p, err := st.Tickets(ctx, queue)
			if err != nil {
				return 0, err
			}
			return len(p.Tickets), nil
		})
		if err != nil {
			return err
		}
		for range min(pages, len(cursors)) {
			f := queue
			f.Cursor = cursors[rng.IntN(len(cursors))]
			err := deep.measure(func() (int, error) {
				p, err := st.Tickets(ctx, f)
				if err != nil {
					return 0, err
				}
				return len(p.Tickets), nil
			})
			if err != nil {
				return err
			}
		}
		err = allOpen.measure(func() (int, error) {
			p, err := st.Tickets(ctx, store.TicketFilter{Viewer: supervisor, Statuses: active, Limit: 50})
			if err != nil {
				return 0, err
			}
			return len(p.Tickets), nil
		})
		if err != nil {
			return err
		}
		var number int64
		err = open.measure(func() (int, error) {
			t, err := st.Ticket(ctx, 1+rng.Int64N(last))
			if err != nil {
				return 0, err
			}
			if _, err := st.Contact(ctx, t.ContactID); err != nil {
				return 0, err
			}
			msgs, err := st.Messages(ctx, t.ID, 0, 0)
			number = t.Number
			return len(msgs), err
		})
		if err != nil || !search {
			return err
		}
		for _, s := range []struct {
			op   *inboxOp
			text string
		}{{searchWord, word}, {searchOrder, "BN" + strconv.FormatInt(number, 10)}} {
			err := s.op.measure(func() (int, error) {
				p, err := st.Tickets(ctx, store.TicketFilter{Viewer: supervisor, Text: s.text, Limit: 50})
				if err != nil {
					return 0, err
				}
				return len(p.Tickets), nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}

	// One unrecorded round first, so that the figures are of a warm
	// database, as on a server that has been running.
	if err := iteration(searches > 0); err != nil {
		return err
	}
	for _, op := range ops {
		op.d, op.rows = op.d[:0], 0
	}
	deadline := time.Now().Add(timeout)
	began := time.Now()
	for i := 0; i < iterations && time.Now().Before(deadline); i++ {
		if err := iteration(i < searches); err != nil {
			return err
		}
	}
	fmt.Printf("measured in %.1f s, one query at a time; machine: %s\n\n", time.Since(began).Seconds(), machineLoad())
	rows := make([][]string, 0, len(ops))
	for _, op := range ops {
		perRun := 0.0
		if len(op.d) > 0 {
			perRun = float64(op.rows) / float64(len(op.d))
		}
		rows = append(rows, append(append([]string{op.name}, summarize(op.d).cells()...), fmt.Sprintf("%.1f", perRun)))
	}
	printTable(os.Stdout, slices.Concat(latencyHeader, []string{"results"}), rows)
	return nil
}

// longestQueue finds the team with the longest queue of new, open and
// pending tickets and returns it with the queue's filter for the team's
// first agent (a non-admin viewer of that team only), its length and the
// cursors of its pages beyond the first. team is nil without a team that
// has agents.
func longestQueue(ctx context.Context, st *store.Store) (team *domain.Team, queue store.TicketFilter, queued int, cursors []string, err error) {
	teams, err := st.Teams(ctx)
	if err != nil {
		return nil, queue, 0, nil, err
	}
	active := []domain.TicketStatus{domain.StatusNew, domain.StatusOpen, domain.StatusPending}
	for _, t := range teams {
		if len(t.AgentIDs) == 0 {
			continue
		}
		f := store.TicketFilter{Viewer: domain.Viewer{AgentID: t.AgentIDs[0], Role: domain.RoleAgent, TeamIDs: []int64{t.ID}},
			Statuses: active, Limit: 50}
		n, cs, err := walkQueue(ctx, st, f)
		if err != nil {
			return nil, queue, 0, nil, err
		}
		if team == nil || n > queued {
			team, queue, queued, cursors = t, f, n, cs
		}
	}
	return team, queue, queued, cursors, nil
}

// walkQueue follows f's pages to the end (at most 10,000) and returns how
// many tickets there are and the cursors of the pages after the first.
func walkQueue(ctx context.Context, st *store.Store, f store.TicketFilter) (tickets int, cursors []string, err error) {
	for len(cursors) < 10_000 {
		p, err := st.Tickets(ctx, f)
		if err != nil {
			return 0, nil, fmt.Errorf("walk the agent queue: %w", err)
		}
		tickets += len(p.Tickets)
		if p.Next == "" {
			break
		}
		cursors = append(cursors, p.Next)
		f.Cursor = p.Next
	}
	return tickets, cursors, nil
}

// lastTicketID returns the highest ticket id, or 0 without tickets. The
// store has no count query, so it probes: ids are handed out in rising
// order from 1, so it doubles until an id is missing, then bisects. (A
// deleted ticket can make it stop short, which only narrows the sample.)
func lastTicketID(ctx context.Context, st *store.Store) (int64, error) {
	exists := func(id int64) (bool, error) {
		_, err := st.Ticket(ctx, id)
		if errors.Is(err, domain.ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}
	ok, err := exists(1)
	if err != nil || !ok {
		return 0, err
	}
	lo, hi := int64(1), int64(2)
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
