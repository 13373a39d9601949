package dispatch

import "time"

// ViewMadeAt is when, on the dispatcher's clock, the leader last made its
// view: at the start of leading and at the end of every tick.
func (d *Dispatcher) ViewMadeAt() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.viewAt
}
