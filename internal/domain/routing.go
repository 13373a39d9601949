package domain

import (
	"fmt"
	"slices"
	"strings"
)

// Presences an agent can have; only online agents get pushed work.
const (
	PresenceOnline  = "online"
	PresenceAway    = "away"
	PresenceOffline = "offline"
)

// Team assignment modes.
const (
	ModeManual     = "manual"      // agents pull work or are assigned by hand
	ModeRoundRobin = "round_robin" // pushed to the next agent in turn
	ModeMostFree   = "most_free"   // pushed to the agent with most free capacity
)

// Bot states of a ticket.
const (
	BotActive     = "active"      // the FAQ bot is answering; not routed to agents
	BotHandedOver = "handed_over" // the bot passed it to the team's queue
	BotResolved   = "resolved"    // the customer said the bot's answer helped
)

// ValidPresence reports whether p is a known presence, or explains why not.
func ValidPresence(p string) error {
	if p != PresenceOnline && p != PresenceAway && p != PresenceOffline {
		return Invalid("invalid_presence", fmt.Sprintf("unknown presence %q; use online, away or offline", p))
	}
	return nil
}

// ValidMode reports whether m is a known assignment mode.
func ValidMode(m string) error {
	if m != ModeManual && m != ModeRoundRobin && m != ModeMostFree {
		return Invalid("invalid_mode", fmt.Sprintf("unknown assignment mode %q; use manual, round_robin or most_free", m))
	}
	return nil
}

// ValidBotState reports whether s is a known bot state ("" included).
func ValidBotState(s string) error {
	if s != "" && s != BotActive && s != BotHandedOver && s != BotResolved {
		return Invalid("invalid_bot_state", fmt.Sprintf("unknown bot state %q; use active, handed_over, resolved or empty", s))
	}
	return nil
}

// Validate rejects a budget or cost below 1: a free item would let an
// agent on a call take unlimited work.
func (c *Capacity) Validate() error {
	if c == nil {
		return nil
	}
	if c.Budget < 1 || c.Budget > 1000 || c.Other < 1 {
		return Invalid("invalid_capacity", "capacity needs a budget from 1 to 1000 and an other cost of at least 1")
	}
	for k, n := range c.Costs {
		if n < 1 || strings.TrimSpace(k) == "" {
			return Invalid("invalid_capacity", fmt.Sprintf("the cost of channel kind %q must be at least 1", k))
		}
	}
	return nil
}

// NormalizeSkills trims, lowercases, de-duplicates and sorts skills, as
// tags are; skills match exactly after that.
func NormalizeSkills(skills []string) ([]string, error) {
	out, err := NormalizeTags(skills)
	if err != nil {
		return nil, Invalid("invalid_skill", strings.Replace(err.Error(), "tag", "skill", 1))
	}
	return slices.Clip(out), nil
}
