package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

// seedOptions are the flags of "loket bench seed".
type seedOptions struct {
	tickets   int
	perTicket int
	batch     int
	seed      uint64
}

// Milliseconds, the unit of the store's timestamps.
const (
	msHour = int64(time.Hour / time.Millisecond)
	msDay  = 24 * msHour
)

// seedTeams are the teams seed creates (or reuses, by name), with the
// share of tickets each gets and the agents each has.
var seedTeams = []struct {
	name   string
	weight int
	agents int
}{
	{"Klantenservice", 55, 6},
	{"Facturatie", 30, 3},
	{"Technische dienst", 15, 3},
}

// seedChannel names the API channel seeded messages arrive on.
const seedChannel = "Seed (API)"

// benchSeed adds tickets with contacts and messages to the configured
// database through the store, a batch of tickets per transaction.
func benchSeed(ctx context.Context, args []string, storeFlags StoreFlags) error {
	var o seedOptions
	fs := flag.NewFlagSet("bench seed", flag.ExitOnError)
	openStore := storeFlags(fs)
	fs.IntVar(&o.tickets, "tickets", 0, "number of tickets to add (required)")
	fs.IntVar(&o.perTicket, "messages-per-ticket", 10, "messages on each ticket")
	fs.IntVar(&o.batch, "batch", 1000, "tickets per transaction")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed: the same seed gives the same data (its times relative to now)")
	fs.Parse(args)
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("bench seed: unexpected argument %q", fs.Arg(0))
	case o.tickets <= 0:
		return errors.New("bench seed: --tickets N is required and must be positive")
	case o.perTicket <= 0 || o.batch <= 0:
		return errors.New("bench seed: --messages-per-ticket and --batch must be positive")
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	sd := newSeeder(o)
	if err := sd.setup(ctx, st); err != nil {
		return fmt.Errorf("bench seed: %w", err)
	}
	where := st.URL()
	if st.Dialect() == store.Postgres {
		where = "PostgreSQL"
	}
	fmt.Printf("seeding %d tickets, %d messages per ticket and %d contacts into %s, %d tickets per transaction\n",
		o.tickets, o.perTicket, sd.contactsWanted, where, o.batch)
	fmt.Printf("machine: %s\n", machineLoad())

	began := time.Now()
	printed := began
	for done := 0; done < o.tickets; {
		n := min(o.batch, o.tickets-done)
		if err := st.Tx(ctx, func(tx *store.Store) error { return sd.seedBatch(ctx, tx, done, n) }); err != nil {
			return fmt.Errorf("bench seed: tickets %d to %d (the %d before are committed): %w", done+1, done+n, done, err)
		}
		// Index each batch's text as the server would, a second's worth
		// at a time, so the seed's rate includes the full-text index.
		if _, err := st.IndexText(ctx); err != nil {
			return fmt.Errorf("bench seed: %w", err)
		}
		done += n
		if time.Since(printed) >= 5*time.Second || done == o.tickets {
			printed = time.Now()
			secs := time.Since(began).Seconds()
			fmt.Printf("  %d/%d tickets, %d messages, %.0f s: %s tickets/s, %s rows/s\n",
				done, o.tickets, sd.messages, secs, thousands(float64(done)/secs), thousands(float64(sd.rows)/secs))
		}
	}
	took := time.Since(began)
	fmt.Printf("\nmachine: %s\nseeded in %.1f s: %d contacts, %d identities, %d tickets, %d tags, %d messages\n",
		machineLoad(), took.Seconds(), sd.contactsMade, sd.identities, o.tickets, sd.tags, sd.messages)
	fmt.Printf("%s tickets/s, %s messages/s, %s rows/s (full-text index entries not counted)\n",
		thousands(float64(o.tickets)/took.Seconds()), thousands(float64(sd.messages)/took.Seconds()), thousands(float64(sd.rows)/took.Seconds()))
	if st.Dialect() == store.SQLite {
		var size int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(st.URL() + suffix); err == nil {
				size += fi.Size()
			}
		}
		fmt.Printf("database size: %s\n", megabytes(size))
	}
	return nil
}

// seeder makes the data; its random source makes it repeatable.
type seeder struct {
	o              seedOptions
	rng            *rand.Rand
	now, start     int64 // the year the tickets span, in Unix ms
	step           int64 // ms between consecutive tickets' creation
	contactsWanted int

	teams    []weighted[*seedTeam]
	channel  int64
	contacts []seedContact

	contactsMade, identities, tags, messages, rows int
}

// seedTeam is a seeded team and its agents.
type seedTeam struct {
	id     int64
	agents []int64
}

// seedContact is a seeded customer.
type seedContact struct {
	id   int64
	addr domain.Identity // where the customer writes from
	lang string
}

func newSeeder(o seedOptions) *seeder {
	now := time.Now().UnixMilli()
	start := now - 365*msDay
	return &seeder{
		o: o, rng: rand.New(rand.NewPCG(o.seed, 0x5eed)), now: now, start: start,
		step: max(1, (now-start)/int64(o.tickets)), contactsWanted: max(1, o.tickets/3),
	}
}

// setup creates, or finds from an earlier run, the teams, their agents
// (who cannot sign in: they have no password) and the channel.
func (sd *seeder) setup(ctx context.Context, st *store.Store) error {
	return st.Tx(ctx, func(tx *store.Store) error {
		existing, err := tx.Teams(ctx)
		if err != nil {
			return err
		}
		for i, spec := range seedTeams {
			var team *domain.Team
			for _, t := range existing {
				if t.Name == spec.name {
					team = t
				}
			}
			if team == nil {
				team = &domain.Team{Name: spec.name}
				if err := tx.CreateTeam(ctx, team); err != nil {
					return err
				}
			}
			t := &seedTeam{id: team.ID}
			for k := range spec.agents {
				email := fmt.Sprintf("agent%d.%d@seed.loket.test", i+1, k+1)
				a, _, err := tx.AgentLogin(ctx, email)
				if errors.Is(err, domain.ErrNotFound) {
					name := firstNames[(i*7+k)%len(firstNames)] + " " + lastNames[(i*5+k)%len(lastNames)]
					a = &domain.Agent{Email: email, Name: name, Role: domain.RoleAgent}
					if err = tx.CreateAgent(ctx, a, ""); err == nil {
						err = tx.SetAgentTeams(ctx, a.ID, []int64{team.ID})
					}
				}
				if err != nil {
					return err
				}
				t.agents = append(t.agents, a.ID)
			}
			sd.teams = append(sd.teams, weighted[*seedTeam]{t, spec.weight})
		}
		chs, err := tx.Channels(ctx, api.Kind)
		if err != nil {
			return err
		}
		for _, ch := range chs {
			if ch.Name == seedChannel {
				sd.channel = ch.ID
				return nil
			}
		}
		ch := &domain.Channel{Kind: api.Kind, Name: seedChannel, TeamID: sd.teams[0].v.id, Enabled: true}
		if err := tx.CreateChannel(ctx, ch, secret.Hash(secret.Token("lki"))); err != nil {
			return err
		}
		sd.channel = ch.ID
		return nil
	})
}

// seedBatch adds tickets first to first+n-1 (of the whole run) and the
// contacts that keep about one contact per three tickets. Each new
// contact gets one of the batch's tickets; the other tickets go to
// contacts at random, so long-standing customers collect several.
func (sd *seeder) seedBatch(ctx context.Context, tx *store.Store, first, n int) error {
	want := max(1, int(int64(first+n)*int64(sd.contactsWanted)/int64(sd.o.tickets)))
	fresh := max(0, want-len(sd.contacts))
	for range fresh {
		if err := sd.contact(ctx, tx); err != nil {
			return err
		}
	}
	for k := range n {
		c := sd.contacts[sd.rng.IntN(len(sd.contacts))]
		if k < fresh {
			c = sd.contacts[len(sd.contacts)-fresh+k]
		}
		if err := sd.ticket(ctx, tx, first+k, c); err != nil {
			return err
		}
	}
	return nil
}

// emailLocal makes a name fit the local part of an e-mail address.
var emailLocal = strings.NewReplacer(" ", "", "ë", "e")

// contact adds a customer with an e-mail address, a mobile number or
// (most often) both.
func (sd *seeder) contact(ctx context.Context, tx *store.Store) error {
	first, last := firstNames[sd.rng.IntN(len(firstNames))], lastNames[sd.rng.IntN(len(lastNames))]
	c := &domain.Contact{Name: first + " " + last, Language: "nl"}
	if sd.rng.IntN(5) == 0 {
		c.Language = "en"
	}
	if err := tx.CreateContact(ctx, c); err != nil {
		return err
	}
	email := domain.Identity{Kind: domain.IdentityEmail,
		Value: strings.ToLower(emailLocal.Replace(first+"."+last)) + "." + strconv.FormatInt(c.ID, 10) + "@example.com"}
	phone := domain.Identity{Kind: domain.IdentityPhone, Value: fmt.Sprintf("+3162%07d", c.ID%10_000_000)}
	ids := []domain.Identity{email, phone}
	switch r := sd.rng.IntN(20); {
	case r < 3:
		ids = ids[:1] // e-mail only
	case r < 6:
		ids = ids[1:] // phone only
	}
	for _, id := range ids {
		if _, err := tx.AddIdentity(ctx, c.ID, id); err != nil {
			return err
		}
	}
	sd.contacts = append(sd.contacts, seedContact{id: c.ID, addr: ids[0], lang: c.Language})
	sd.contactsMade++
	sd.identities += len(ids)
	sd.rows += 1 + len(ids)
	return nil
}

// weighted is one choice of a weighted random pick.
type weighted[T any] struct {
	v T
	w int
}

// pick returns a choice with probability proportional to its weight.
func pick[T any](r *rand.Rand, choices []weighted[T]) T {
	total := 0
	for _, c := range choices {
		total += c.w
	}
	n := r.IntN(total)
	for _, c := range choices {
		if n < c.w {
			return c.v
		}
		n -= c.w
	}
	return choices[len(choices)-1].v
}

// Status mixes by ticket age: recent tickets are still being worked, and
// all but one in a hundred older ones are solved or closed.
var (
	statusRecent = []weighted[domain.TicketStatus]{{domain.StatusNew, 35}, {domain.StatusOpen, 35}, {domain.StatusPending, 20}, {domain.StatusSolved, 10}}
	statusWeeks  = []weighted[domain.TicketStatus]{{domain.StatusNew, 5}, {domain.StatusOpen, 20}, {domain.StatusPending, 20}, {domain.StatusOnHold, 5}, {domain.StatusSolved, 50}}
	statusOld    = []weighted[domain.TicketStatus]{{domain.StatusOpen, 4}, {domain.StatusPending, 4}, {domain.StatusOnHold, 2}, {domain.StatusSolved, 120}, {domain.StatusClosed, 870}}
	priorities   = []weighted[domain.Priority]{{domain.PriorityLow, 15}, {domain.PriorityNormal, 70}, {domain.PriorityHigh, 12}, {domain.PriorityUrgent, 3}}
	seedTags     = []string{"bestelling", "levering", "factuur", "retour", "klacht", "vip", "garantie", "terugbetaling"}
	notes        = []string{"Klant belt na 17:00 terug.", "Navraag gedaan bij het magazijn.", "Customer prefers e-mail.",
		"Escalated to the second line.", "Creditnota aangemaakt."}
)

// ticket adds ticket idx (of the run) for contact c: created at its place
// in the year, with the run's messages spread over up to ten days of its
// life, alternating customer and agent (internal notes among the agent's),
// and tags.
func (sd *seeder) ticket(ctx context.Context, tx *store.Store, idx int, c seedContact) error {
	r := sd.rng
	created := sd.start + int64(idx)*sd.step + r.Int64N(sd.step)
	age := sd.now - created
	var status domain.TicketStatus
	switch {
	case age < 2*msDay:
		status = pick(r, statusRecent)
	case age < 14*msDay:
		status = pick(r, statusWeeks)
	default:
		status = pick(r, statusOld)
	}
	team := pick(r, sd.teams)
	customer, agent, subjects := customerNL, agentNL, subjectsNL
	if c.lang == "en" {
		customer, agent, subjects = customerEN, agentEN, subjectsEN
	}
	t := &domain.Ticket{
		ContactID: c.id, Subject: subjects[r.IntN(len(subjects))], Status: status, Priority: pick(r, priorities),
		TeamID: team.id, ChannelID: sd.channel, FirstCustomerAt: created, LastCustomerAt: created, CreatedAt: created,
	}
	if status != domain.StatusNew && r.IntN(10) != 0 {
		t.AssigneeID = team.agents[r.IntN(len(team.agents))]
	}
	if err := tx.CreateTicket(ctx, t); err != nil {
		return err
	}

	life := min(age, msHour+r.Int64N(10*msDay))
	step := max(1, life/int64(sd.o.perTicket))
	addr := c.addr
	last := created
	for k := range sd.o.perTicket {
		at := created
		if k > 0 {
			at = created + int64(k)*step + r.Int64N(step)
		}
		m := &domain.Message{TicketID: t.ID, Kind: domain.KindMessage, CreatedAt: at}
		switch {
		case k%2 == 0 || status == domain.StatusNew: // from the customer
			m.ChannelID, m.Direction, m.AuthorType, m.AuthorID, m.Address = sd.channel, domain.DirectionIn, domain.AuthorContact, c.id, &addr
			m.Text = sentences(r, customer, 1+r.IntN(3))
			if k == 0 {
				m.Subject = t.Subject
				order := "Mijn bestelnummer is BN%d."
				if c.lang == "en" {
					order = "My order number is BN%d."
				}
				m.Text = fmt.Sprintf(order, t.Number) + " " + m.Text
			}
			t.LastCustomerAt = at
		case r.IntN(8) == 0: // an internal note
			m.Kind, m.AuthorType, m.AuthorID = domain.KindNote, domain.AuthorAgent, team.agents[r.IntN(len(team.agents))]
			m.Text = notes[r.IntN(len(notes))]
		default: // the agent's reply
			m.ChannelID, m.Direction, m.AuthorType, m.Address = sd.channel, domain.DirectionOut, domain.AuthorAgent, &addr
			m.AuthorID, m.DeliveryStatus = t.AssigneeID, domain.DeliveryDelivered
			if m.AuthorID == 0 {
				m.AuthorID = team.agents[r.IntN(len(team.agents))]
			}
			m.Text = sentences(r, agent, 2+r.IntN(3))
			if t.FirstResponseAt == 0 {
				t.FirstResponseAt = at
			}
		}
		if _, err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		last = at
	}
	t.UpdatedAt = last
	if status == domain.StatusSolved || status == domain.StatusClosed {
		t.SolvedAt = min(sd.now, last+r.Int64N(4*msHour))
		t.UpdatedAt = t.SolvedAt
		if status == domain.StatusClosed {
			t.UpdatedAt = min(sd.now, t.SolvedAt+3*msDay)
		}
	}
	if err := tx.UpdateTicket(ctx, t); err != nil {
		return err
	}
	var tags []string
	for range max(0, r.IntN(5)-2) { // none (60 %), one (20 %) or two (20 %)
		tags = append(tags, seedTags[r.IntN(len(seedTags))])
	}
	if len(tags) > 0 {
		tags, _ = domain.NormalizeTags(tags)
		if err := tx.SetTags(ctx, t.ID, tags); err != nil {
			return err
		}
	}
	sd.messages += sd.o.perTicket
	sd.tags += len(tags)
	sd.rows += 1 + sd.o.perTicket + len(tags)
	return nil
}
