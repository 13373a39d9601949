// Package bench is "loket bench": benchmarks that measure a running Loket
// (ingest, webchat) or its database (seed, inbox). This file holds the
// dispatcher and what the benchmarks share — latency summaries, table
// output and the sample texts; each benchmark is in its own file. The
// figures and how to reproduce them are in docs/benchmarks.md. It is part
// of the binary's command line and is used by nothing else.
package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"loket.dev/loket/internal/store"
)

const benchUsage = `use: loket bench ingest|seed|inbox|webchat [flags]; run "loket bench SUBCOMMAND -h" for the flags of each`

// StoreFlags registers the flags that name the database (data directory,
// database URL, secret key) on fs, and returns the function that opens and
// migrates that database once fs is parsed. The binary provides it, so that
// the benchmarks open the store exactly as "loket serve" does.
type StoreFlags func(fs *flag.FlagSet) (open func(context.Context) (*store.Store, error))

// Run measures Loket: ingest posts inbound messages to a server and
// times their answers and realtime events, webchat does the same through
// visitors' sockets, seed fills a database with a year of realistic
// tickets, and inbox times the agent's queries on it. The ingest and
// webchat benchmarks start this executable's "serve" as the server.
func Run(ctx context.Context, args []string, storeFlags StoreFlags) error {
	if len(args) == 0 {
		return errors.New(benchUsage)
	}
	switch args[0] {
	case "ingest":
		return benchIngest(ctx, args[1:])
	case "seed":
		return benchSeed(ctx, args[1:], storeFlags)
	case "inbox":
		return benchInbox(ctx, args[1:], storeFlags)
	case "webchat":
		return benchWebchat(ctx, args[1:])
	}
	return fmt.Errorf("unknown benchmark %q; %s", args[0], benchUsage)
}

// summary is the distribution of one measured operation.
type summary struct {
	n                  int
	p50, p95, p99, max time.Duration
}

// summarize returns the nearest-rank percentiles of d (which it sorts).
func summarize(d []time.Duration) summary {
	slices.Sort(d)
	return summary{n: len(d), p50: quantile(d, 0.50), p95: quantile(d, 0.95), p99: quantile(d, 0.99), max: quantile(d, 1)}
}

// quantile returns the nearest-rank q-quantile of sorted, or 0 if empty.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// cells returns n and the percentiles as table cells, dashes when empty.
func (s summary) cells() []string {
	if s.n == 0 {
		return []string{"0", "–", "–", "–", "–"}
	}
	return []string{fmt.Sprint(s.n), ms(s.p50), ms(s.p95), ms(s.p99), ms(s.max)}
}

// ms formats d in milliseconds with a precision that suits its size.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f < 10:
		return fmt.Sprintf("%.2f ms", f)
	case f < 100:
		return fmt.Sprintf("%.1f ms", f)
	}
	return fmt.Sprintf("%.0f ms", f)
}

// thousands formats a non-negative n rounded, with commas between
// thousands: 12,345.
func thousands(n float64) string {
	s := fmt.Sprintf("%.0f", n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// machineLoad describes how busy the machine is, from /proc/loadavg, so
// that figures taken on a shared machine can be judged: a 1-minute load
// above the number of CPUs means the benchmark competed for them.
func machineLoad() string {
	b, err := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if err != nil || len(f) < 3 {
		return fmt.Sprintf("%d CPUs", runtime.NumCPU())
	}
	return fmt.Sprintf("%d CPUs, load average %s %s %s", runtime.NumCPU(), f[0], f[1], f[2])
}

// megabytes formats a size in bytes as MB (10^6 bytes).
func megabytes(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

// printTable writes a Markdown table with padded columns, so that the
// output reads well in a terminal and pastes into docs/benchmarks.md.
func printTable(w io.Writer, header []string, rows [][]string) {
	width := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(r []string) {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				fmt.Fprintf(&b, "| %s%s ", c, pad) // first column left-aligned
			} else {
				fmt.Fprintf(&b, "| %s%s ", pad, c)
			}
		}
		fmt.Fprintln(w, b.String()+"|")
	}
	line(header)
	var sep strings.Builder
	for i, w := range width {
		if i == 0 {
			sep.WriteString("|" + strings.Repeat("-", w+2))
		} else {
			sep.WriteString("|" + strings.Repeat("-", w+1) + ":")
		}
	}
	fmt.Fprintln(w, sep.String()+"|")
	for _, r := range rows {
		line(r)
	}
}

// latencyHeader heads a table of summaries.
var latencyHeader = []string{"", "n", "p50", "p95", "p99", "max"}

// Sample texts, in Dutch and English, for customer messages, agent replies
// and subjects. The words "levering" and "delivery" occur in a good share
// of customer messages, for text search.
var (
	customerNL = []string{
		"Ik heb vorige week een bestelling geplaatst maar nog niets ontvangen.",
		"Kunt u mij laten weten wanneer de levering komt?",
		"De factuur klopt niet: er staat een bedrag op dat ik niet herken.",
		"Het pakket is beschadigd aangekomen en de doos was open.",
		"Ik wil graag mijn abonnement opzeggen per volgende maand.",
		"Volgens de track-and-trace is het pakket bezorgd, maar ik heb het niet.",
		"Mijn wachtwoord werkt niet meer en ik kan niet inloggen.",
		"Is het mogelijk om de levering naar een ander adres te sturen?",
		"Ik heb twee keer betaald voor dezelfde bestelling.",
		"De maat valt te klein, hoe kan ik het artikel ruilen?",
		"Wanneer wordt mijn geld teruggestort?",
		"De monteur is niet op de afgesproken tijd gekomen.",
		"Graag een nieuwe afspraak voor de levering, ik ben dinsdag niet thuis.",
		"Ik heb nog steeds geen bevestiging per e-mail ontvangen.",
		"Het apparaat doet het na een week al niet meer; valt dit onder de garantie?",
	}
	customerEN = []string{
		"I ordered a jacket two weeks ago and it still has not arrived.",
		"Could you tell me when the delivery will take place?",
		"The invoice shows an amount I do not recognise.",
		"The parcel arrived damaged and the box had been opened.",
		"I would like to cancel my subscription from next month.",
		"Tracking says the parcel was delivered, but I never received it.",
		"My password no longer works and I cannot sign in.",
		"Can the delivery be sent to a different address?",
		"I was charged twice for the same order.",
		"The size is too small; how do I exchange the item?",
		"When will my refund be paid?",
		"Is this covered by the warranty? It stopped working after a week.",
	}
	agentNL = []string{
		"Bedankt voor uw bericht.",
		"Ik heb het voor u uitgezocht.",
		"Excuses voor het ongemak.",
		"De levering staat nu gepland voor donderdag tussen 9 en 13 uur.",
		"Ik heb een nieuwe factuur voor u aangemaakt.",
		"Het bedrag wordt binnen vijf werkdagen teruggestort.",
		"U ontvangt van ons een retourlabel per e-mail.",
		"Kunt u een foto van de schade sturen?",
		"Laat het ons weten als we nog iets voor u kunnen doen.",
		"Met vriendelijke groet, het klantenserviceteam.",
	}
	agentEN = []string{
		"Thank you for your message.",
		"I have looked into this for you.",
		"Sorry for the inconvenience.",
		"The delivery is now planned for Thursday between 9 am and 1 pm.",
		"I have issued a corrected invoice.",
		"The amount will be refunded within five working days.",
		"We will e-mail you a return label.",
		"Could you send us a photo of the damage?",
		"Let us know if there is anything else we can do.",
		"Kind regards, the customer service team.",
	}
	subjectsNL = []string{"Waar blijft mijn bestelling?", "Vraag over factuur", "Pakket beschadigd", "Abonnement opzeggen",
		"Retour aanvragen", "Kan niet inloggen", "Dubbel betaald", "Levering wijzigen", "Garantie", "Terugbetaling"}
	subjectsEN = []string{"Where is my order?", "Question about my invoice", "Damaged parcel", "Cancel subscription",
		"Return request", "Cannot sign in", "Charged twice", "Change delivery", "Warranty claim", "Refund"}
)

// sentences joins n sentences picked at random from pool.
func sentences(r *rand.Rand, pool []string, n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = pool[r.IntN(len(pool))]
	}
	return strings.Join(parts, " ")
}

// Names for customers and agents.
var (
	firstNames = []string{"Jan", "Sanne", "Pieter", "Fatima", "Daan", "Emma", "Mohamed", "Lotte", "Kees", "Noor",
		"Bram", "Sophie", "Ahmed", "Julia", "Thomas", "Anouk", "Ruben", "Yara", "Willem", "Eva", "Liam", "Mila",
		"Sem", "Tess", "Lucas", "Zoë", "Finn", "Sara", "Jesse", "Fenna"}
	lastNames = []string{"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
		"Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen",
		"Dekker", "Brouwer", "El Amrani", "Yilmaz", "Kaya", "Smith", "Brown", "Wilson"}
)
