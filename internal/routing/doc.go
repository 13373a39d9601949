// Package routing decides which agent gets which conversation: it owns agent
// presence, per-channel capacity, queues and assignment.
//
// Engine (engine.go) is the router: an in-memory, I/O-free state of every
// team queue and agent that the core loads at start-up, feeds with events
// (arrivals, work done, presence changes, a periodic Tick) and whose
// Decisions (assign ticket X to agent Y, or return it to the queue, with a
// reason) the core applies and records as ticket events. Items are served
// live kinds first, then by priority, SLA due time and age; capacity is a
// budget of units per agent with a cost per channel kind (types.go);
// teams push by round robin or most free capacity, or leave agents to pull
// with GetNext. queue.go explains why a decision never scans the waiting
// items; stats.go holds the supervisor's Snapshot and the formula behind
// EstimatedWait.
//
// The Erlang C formulas in erlangc.go are the theory part: they give the
// best service level a queue with a given number of agents can reach, so
// that simulations of the router can be compared against it.
package routing
