// Package x speaks X's API v2 for the channel kind "x": an X account's
// mentions and direct messages come into Loket, and agents answer them as
// tweet replies or direct messages.
//
// X does not push to Loket on the tiers most teams have, so the adapter is
// a channel.Poller: every poll interval (60 s by default) it reads the
// account's new mentions (GET /2/users/:id/mentions, since the newest one
// imported) and direct messages (GET /2/dm_events, newer than the newest
// one imported), and hands them to the core as one JSON payload, which
// Parse turns into public messages (mentions, threaded by the X
// conversation) and private ones (direct messages, on the contact's
// private ticket). A new channel starts from the moment of its first
// poll: it never imports the account's history. Every call is signed with
// OAuth 1.0a in the account's user context (RFC 5849 HMAC-SHA1, done here
// with the standard library).
//
// Replies go out as tweet replies (POST /2/tweets) or as direct messages
// (POST /2/dm_conversations/with/:participant_id/messages); the team can
// hide and unhide replies to the account's own posts (PUT
// /2/tweets/:id/hidden). It does not speak X's Account Activity webhooks,
// media (attachments are neither downloaded nor sent), group direct
// messages, quote tweets of the account without a mention, or deleting
// other people's posts, which X does not allow.
package x
