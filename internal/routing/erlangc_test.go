package routing

import (
	"math"
	"testing"
	"time"
)

// The expected values below were computed independently with exact rational
// arithmetic from the textbook formula
//
//	C = (A^N/N! · N/(N-A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N-A))
//
// then SL = 1 - C·e^(-(N-A)·target/handle) and ASA = C·handle/(N-A).

func closeTo(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// The classic example: 100 calls per half hour (200 an hour) at a 180 s
// average handle time is 10 Erlangs; the target is 20 seconds.
func TestErlangC_MatchesTextbookStaffingTable(t *testing.T) {
	tests := []struct {
		agents int
		wait   float64       // probability of waiting
		sl     float64       // answered within 20 s
		asa    time.Duration // average speed of answer
	}{
		{11, 0.6821182046893324, 0.3896138117291533, 122781276844 * time.Nanosecond},
		{12, 0.44938822429827086, 0.6401580403740066, 40444940187 * time.Nanosecond},
		{13, 0.28527045303649295, 0.7955947884177831, 17116227182 * time.Nanosecond},
		{14, 0.17413193359504983, 0.8883500191794669, 7835937012 * time.Nanosecond},
	}
	const perHour, handle, target = 200, 180 * time.Second, 20 * time.Second
	if got := Traffic(perHour, handle); got != 10 {
		t.Fatalf("Traffic = %v Erlangs, want 10", got)
	}
	for _, tc := range tests {
		if got := ErlangC(tc.agents, 10); !closeTo(got, tc.wait, 1e-12) {
			t.Errorf("ErlangC(%d, 10) = %.15f, want %.15f", tc.agents, got, tc.wait)
		}
		if got := ServiceLevel(tc.agents, perHour, handle, target); !closeTo(got, tc.sl, 1e-12) {
			t.Errorf("ServiceLevel(%d agents) = %.15f, want %.15f", tc.agents, got, tc.sl)
		}
		if got := AverageSpeedOfAnswer(tc.agents, perHour, handle); (got - tc.asa).Abs() > time.Microsecond {
			t.Errorf("AverageSpeedOfAnswer(%d agents) = %v, want %v", tc.agents, got, tc.asa)
		}
	}
}

func TestErlangC_MatchesIndependentlyComputedValues(t *testing.T) {
	tests := []struct {
		name    string
		agents  int
		traffic float64
		want    float64
	}{
		{"one agent waits with probability equal to its load", 1, 0.5, 0.5},
		{"three agents at 2 Erlangs wait 4/9 of the time", 3, 2, 4.0 / 9},
		{"110 agents at 100 Erlangs", 110, 100, 0.23700750028505274},
		{"250 agents at 230 Erlangs", 250, 230, 0.1308080687208351},
		{"1050 agents at 1000 Erlangs, far beyond factorial range", 1050, 1000, 0.07440177403742837},
		{"1999 Erlangs on 2000 agents nearly always wait", 2000, 1999, 0.9724158432390521},
		{"no traffic never waits", 5, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErlangC(tc.agents, tc.traffic); !closeTo(got, tc.want, 1e-12) {
				t.Errorf("ErlangC(%d, %v) = %.16f, want %.16f", tc.agents, tc.traffic, got, tc.want)
			}
		})
	}
}

func TestErlangC_OverloadedQueueAlwaysWaitsAndMissesTarget(t *testing.T) {
	tests := []struct {
		name    string
		agents  int
		perHour float64
	}{
		{"as many agents as Erlangs", 10, 200},
		{"fewer agents than Erlangs", 9, 200},
		{"no agents", 0, 200},
		{"no agents and no traffic", 0, 0},
	}
	const handle = 180 * time.Second
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErlangC(tc.agents, Traffic(tc.perHour, handle)); got != 1 {
				t.Errorf("ErlangC = %v, want 1", got)
			}
			if got := ServiceLevel(tc.agents, tc.perHour, handle, time.Hour); got != 0 {
				t.Errorf("ServiceLevel = %v, want 0", got)
			}
			if got := AverageSpeedOfAnswer(tc.agents, tc.perHour, handle); got != math.MaxInt64 {
				t.Errorf("AverageSpeedOfAnswer = %v, want the largest Duration", got)
			}
		})
	}
	if got := ErlangC(10, math.NaN()); got != 1 {
		t.Errorf("ErlangC(10, NaN) = %v, want 1", got)
	}
}

func TestServiceLevel_ZeroTargetIsFractionNotWaiting(t *testing.T) {
	for _, target := range []time.Duration{0, -time.Second} {
		got := ServiceLevel(11, 200, 180*time.Second, target)
		if want := 1 - ErlangC(11, 10); !closeTo(got, want, 1e-15) {
			t.Errorf("ServiceLevel(target %v) = %v, want 1 - ErlangC = %v", target, got, want)
		}
	}
}

func TestServiceLevel_IsPerfectWithoutWork(t *testing.T) {
	if got := ServiceLevel(1, 0, 180*time.Second, 0); got != 1 {
		t.Errorf("ServiceLevel with no arrivals = %v, want 1", got)
	}
	if got := ServiceLevel(1, 200, 0, 0); got != 1 {
		t.Errorf("ServiceLevel with zero handle time = %v, want 1", got)
	}
	if got := AverageSpeedOfAnswer(1, 200, 0); got != 0 {
		t.Errorf("AverageSpeedOfAnswer with zero handle time = %v, want 0", got)
	}
}

func TestErlangC_MoreAgentsNeverWaitLonger(t *testing.T) {
	for _, traffic := range []float64{0.1, 3.7, 42, 480} {
		prev := 1.0
		for agents := int(traffic) + 1; agents < int(traffic)*2+20; agents++ {
			got := ErlangC(agents, traffic)
			if got < 0 || got > prev {
				t.Fatalf("ErlangC(%d, %v) = %v after %v with one agent fewer", agents, traffic, got, prev)
			}
			prev = got
		}
	}
}
