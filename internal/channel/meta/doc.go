// Package meta speaks Meta's Messenger Platform and Graph API for two
// channel kinds that share one implementation: "messenger" (a Facebook
// Page's messages and the comments under its posts) and "instagram" (an
// Instagram professional account's direct messages and the comments on
// its media, reached through the Facebook Page it is linked to).
//
// It serves the webhook Meta posts to (the hub.challenge handshake, then
// X-Hub-Signature-256 over the raw body before anything is read), parses
// messages, delivery and read receipts, reactions and edits, downloads
// attachments and looks up the sender's name and language before a
// message is stored, and sends replies with quick replies and files
// through the Send API.
//
// Comments (the Page's "feed" field, Instagram's "comments") are public
// messages keyed by their top-level comment (comments.go): the Page's
// own comments, likes, shares and hide events are skipped, edits and
// removals are changes. A Facebook commenter is a "facebook" identity,
// since the feed's id for them is not their Messenger id; an Instagram
// commenter is the Instagram-scoped id their direct messages come from.
// Replies to comments go in public, or once privately through the Send
// API, whose answer names the person's Messenger id for the core to join
// to the contact; the team hides, unhides and deletes comments
// (public.go).
//
// It does not speak message tags for sending outside the 24-hour window,
// visitor posts, mentions, group comments, the chat plugin's guest users
// (user_ref) or the Instagram API with Instagram Login
// (graph.instagram.com): a channel is a Page and its Page access token.
package meta
