package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"

	"loket.dev/loket/internal/eventually"
	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
	"loket.dev/loket/internal/tasks"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// claimOne claims the task that is due, as the worker would.
func claimOne(t *testing.T, st *store.Store) store.Job {
	t.Helper()
	jobs, err := st.Tasks().Claim(context.Background(), 10, 15000)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("claim: %d jobs, %v", len(jobs), err)
	}
	return jobs[0]
}

func TestRunnerOutcomes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		cases := []struct {
			name     string
			results  []error // what the handler returns on each attempt
			attempts int
			state    string
		}{
			{"done at once", []error{nil}, 1, "done"},
			{"retried then done", []error{errors.New("busy"), nil}, 2, "done"},
			{"permanent", []error{tasks.Permanent(errors.New("bad input"))}, 1, "failed"},
			{"out of attempts", []error{errors.New("busy"), errors.New("still busy")}, 2, "failed"},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				kind := fmt.Sprint("test", i)
				r := tasks.NewRunner(st, quiet())
				calls := 0
				r.Handle(kind, func(ctx context.Context, job store.Job) error {
					calls++
					if string(job.Payload) != `{"n":1}` {
						t.Errorf("payload %s", job.Payload)
					}
					return c.results[calls-1]
				})
				id, added, err := st.AddTask(ctx, store.Task{Kind: kind, Payload: []byte(`{"n":1}`), MaxAttempts: 2})
				if err != nil || !added {
					t.Fatal(added, err)
				}
				for range c.results {
					r.Run(ctx, claimOne(t, st))
					if state, _, _, _ := st.Tasks().State(ctx, id); state != "pending" {
						break
					}
					// A retry is due later; make it due now.
					if err := st.Tasks().Retry(ctx, id, 1, ""); err != nil {
						t.Fatal(err)
					}
				}
				state, attempts, _, err := st.Tasks().State(ctx, id)
				if err != nil || state != c.state || attempts != c.attempts {
					t.Errorf("state %q after %d attempts (%v), want %q after %d", state, attempts, err, c.state, c.attempts)
				}
			})
		}
	})
}

func TestAddTaskKeyIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		first, added, err := st.AddTask(ctx, store.Task{Kind: "k", Key: "order:1"})
		if err != nil || !added {
			t.Fatal(added, err)
		}
		again, added, err := st.AddTask(ctx, store.Task{Kind: "k", Key: "order:1"})
		if err != nil || added || again != 0 {
			t.Fatalf("second add: id %d added %v err %v (first %d)", again, added, err, first)
		}
		if _, added, err := st.AddTask(ctx, store.Task{Kind: "k"}); err != nil || !added {
			t.Fatal("a task without a key is always added", err)
		}
	})
}

func TestWorkerRunsEachTaskOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		var mu sync.Mutex
		seen := map[string]int{}
		// Two workers, as on two nodes, share one queue.
		var wg sync.WaitGroup
		for range 2 {
			r := tasks.NewRunner(st, quiet())
			r.Handle("count", func(ctx context.Context, job store.Job) error {
				mu.Lock()
				seen[string(job.Payload)]++
				mu.Unlock()
				return nil
			})
			wg.Add(1)
			go func() { defer wg.Done(); r.Worker().Run(ctx) }()
		}
		for i := range 50 {
			if _, _, err := st.AddTask(ctx, store.Task{Kind: "count", Payload: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
				t.Fatal(err)
			}
		}
		eventually.True(t, "every task ran", func() bool {
			mu.Lock()
			defer mu.Unlock()
			return len(seen) == 50
		})
		cancel()
		wg.Wait()
		for p, n := range seen {
			if n != 1 {
				t.Errorf("task %s ran %d times", p, n)
			}
		}
	})
}
