// Package routing decides which agent gets which conversation: it owns agent
// presence, per-channel capacity, queues and assignment.
//
// The Erlang C formulas in erlangc.go are the theory part: they give the
// best service level a queue with a given number of agents can reach, so
// that simulations of the router can be compared against it.
package routing
