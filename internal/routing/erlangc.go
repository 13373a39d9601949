package routing

import (
	"math"
	"time"
)

// The formulas below model a contact-centre queue as M/M/N (Erlang C):
// contacts arrive at random (Poisson) at a steady rate, handle times are
// exponentially distributed, there are N interchangeable agents, and
// nobody hangs up while waiting. Real queues abandon and arrive in bursts,
// so the results are the best a perfectly balanced router could do.
//
// Units: arrival rates are contacts per hour, times are time.Durations and
// traffic is in Erlangs (hours of work arriving per hour).

// Traffic returns the offered load in Erlangs: arrivals per hour times the
// average handle time in hours. 200 contacts an hour at 3 minutes each is
// 10 Erlangs, the work of ten agents doing nothing else.
func Traffic(arrivalsPerHour float64, avgHandle time.Duration) float64 {
	return arrivalsPerHour * avgHandle.Hours()
}

// ErlangC returns the probability that a contact has to wait because all
// agents are busy, for the given number of agents and traffic in Erlangs
// (traffic must not be negative). With agents <= traffic the queue grows
// without bound and every contact waits, so the result is 1.
//
// It derives C from the Erlang B blocking probability, which it computes
// with the recursion B(k) = A·B(k-1) / (k + A·B(k-1)): the textbook form
// with A^N/N! overflows float64 beyond about 170 agents.
func ErlangC(agents int, traffic float64) float64 {
	n := float64(agents)
	if !(traffic < n) { // also catches NaN
		return 1
	}
	if traffic <= 0 {
		return 0
	}
	b := 1.0
	for k := 1; k <= agents; k++ {
		b = traffic * b / (float64(k) + traffic*b)
	}
	return n * b / (n - traffic*(1-b))
}

// ServiceLevel returns the fraction of contacts answered within target
// (e.g. 0.8 for "80% within 20 seconds"), given the number of agents, the
// arrival rate in contacts per hour and the average handle time:
//
//	SL = 1 - C · e^(-(N-A) · target / handle)
//
// It is 0 when agents <= traffic. A negative target counts as zero, which
// gives the fraction answered without waiting at all.
func ServiceLevel(agents int, arrivalsPerHour float64, avgHandle, target time.Duration) float64 {
	a := Traffic(arrivalsPerHour, avgHandle)
	switch {
	case !(a < float64(agents)):
		return 0
	case a <= 0: // no work arrives; also avoids dividing by a zero handle time
		return 1
	}
	target = max(target, 0)
	return 1 - ErlangC(agents, a)*math.Exp(-(float64(agents)-a)*target.Seconds()/avgHandle.Seconds())
}

// AverageSpeedOfAnswer returns the mean time a contact waits before an
// agent picks it up, averaged over all contacts including those answered
// at once: ASA = C · handle / (N - A). When agents <= traffic the wait is
// unbounded and it returns the largest time.Duration.
func AverageSpeedOfAnswer(agents int, arrivalsPerHour float64, avgHandle time.Duration) time.Duration {
	a := Traffic(arrivalsPerHour, avgHandle)
	if !(a < float64(agents)) {
		return math.MaxInt64
	}
	return time.Duration(math.Round(ErlangC(agents, a) * float64(avgHandle) / (float64(agents) - a)))
}
