// Package email owns the e-mail channel of Loket: turning raw RFC 5322
// messages into normalised mails the core can ingest, the [Adapter] that
// sends replies over SMTP, and the transports that bring mail in: an
// [IMAPWatcher] per mailbox and a built-in [SMTPReceiver]. Both hand mail to
// an [Inbox], which ingests it (or marks a bounced reply failed) and only
// then lets the transport acknowledge it, so no mail is lost.
//
// The parsing half ([Parse] and the [Mail] it returns) does no I/O at all: no
// database, no network, no files. It takes the bytes of one message and
// returns everything the core needs to thread, store, display and classify it:
// decoded headers, a plain-text and a sanitised HTML body, the new part of a
// reply without quoted history or signature, attachments (including inline
// images and forwarded messages), whether the mail was sent by a machine
// (auto-reply, bulk, bounce) and, for bounces, the delivery status per
// recipient.
//
// Parsing is deliberately forgiving. Real-world mail is often malformed, and a
// customer message that cannot be parsed perfectly must still reach an agent,
// so problems are reported in [Mail.Warnings] rather than as errors.
package email
