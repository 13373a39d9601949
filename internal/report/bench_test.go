package report_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"loket.dev/loket/internal/hours"
	"loket.dev/loket/internal/report"
	"loket.dev/loket/internal/store"
)

// BenchmarkReports_Seeded times each report over a database made by
// "loket bench seed" (LOKET_BENCH_DATA names its data directory, or
// LOKET_BENCH_DATABASE_URL a PostgreSQL one) for periods ending now,
// over every team and over the first team, and reports the median and
// 99th percentile of a request (both periods).
func BenchmarkReports_Seeded(b *testing.B) {
	dir, url := os.Getenv("LOKET_BENCH_DATA"), os.Getenv("LOKET_BENCH_DATABASE_URL")
	if dir == "" && url == "" {
		b.Skip("set LOKET_BENCH_DATA or LOKET_BENCH_DATABASE_URL to a seeded database")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, url, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	r := &report.Reports{Store: st, Hours: hours.New(hours.Config{Store: st})}
	run := map[string]func(report.Query) error{
		"volume":  func(q report.Query) error { _, err := r.Volume(ctx, q); return err },
		"speed":   func(q report.Query) error { _, err := r.Speed(ctx, q); return err },
		"sla":     func(q report.Query) error { _, err := r.SLA(ctx, q); return err },
		"outcome": func(q report.Query) error { _, err := r.Outcome(ctx, q); return err },
	}
	teams, err := st.Teams(ctx)
	if err != nil || len(teams) == 0 {
		b.Fatalf("teams of the seeded database: %v (%d)", err, len(teams))
	}
	now := time.Now().UnixMilli()
	for _, team := range []int64{0, teams[0].ID} {
		for _, days := range []int64{7, 30, 365} {
			for _, name := range []string{"volume", "speed", "sla", "outcome"} {
				sub := fmt.Sprintf("%s/%dd", name, days)
				if team != 0 {
					sub += "/team"
				}
				b.Run(sub, func(b *testing.B) {
					q := report.Query{Loc: amsterdam, ReportFilter: store.ReportFilter{From: now - days*24*3600*1000, To: now, TeamID: team}}
					var took []int64
					for b.Loop() {
						start := time.Now()
						if err := run[name](q); err != nil {
							b.Fatal(err)
						}
						took = append(took, time.Since(start).Microseconds())
					}
					slices.Sort(took)
					b.ReportMetric(float64(report.NearestRank(took, 50))/1000, "p50-ms")
					b.ReportMetric(float64(report.NearestRank(took, 99))/1000, "p99-ms")
				})
			}
		}
	}
}
