// Package voice is the telephone channel kind: customers call a phone line
// and each call becomes one call entry on a ticket's timeline, moving from
// ringing to answered to ended. It speaks to one of two telephone systems:
// a PBX that posts the generic CTI webhook (newCall, answer, hangup), or
// Twilio Voice, whose calls it answers with TwiML that rings the available
// agents' phones and offers voicemail when nobody answers.
//
// It normalises the numbers telephone systems write (national, without a
// plus, with 00, withheld, internal extensions), refuses withheld or
// blocked callers when the channel says so, routes a caller to a team by
// their contact's attributes or open tickets, places click-to-calls for
// agents (Dialer) and takes customers' callback requests on a public
// route. It never sends messages: a voice channel carries calls only
// (Capabilities.NoReplies), so replies go by the contact's other channels.
// What a call does to its ticket (assignment, missed calls in the queue,
// wrap-up) is the core's.
package voice
