// Package meta speaks Meta's Messenger Platform for two channel kinds that
// share one implementation: "messenger" (a Facebook Page's messages) and
// "instagram" (an Instagram professional account's direct messages,
// reached through the Facebook Page it is linked to).
//
// It serves the webhook Meta posts to (the hub.challenge handshake, then
// X-Hub-Signature-256 over the raw body before anything is read), parses
// messages, delivery and read receipts, reactions and edits, downloads
// attachments and looks up the sender's name and language before a
// message is stored, and sends replies with quick replies and files
// through the Send API. It does not speak page comments (public feed
// replies), message tags for sending outside the 24-hour window, the
// chat plugin's guest users (user_ref) or the Instagram API with
// Instagram Login (graph.instagram.com): a channel is a Page and its
// Page access token.
package meta
