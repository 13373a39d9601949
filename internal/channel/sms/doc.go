// Package sms is the SMS channel kind: customers text a phone number and
// agents answer by SMS, through one of two providers behind one small
// interface (provider): Twilio (Programmable Messaging, with MMS media in)
// or CM.com (Business Messaging API, Netherlands).
//
// It serves the provider's webhook for incoming messages and delivery
// reports (Twilio's are signed with X-Twilio-Signature; CM signs nothing,
// so its webhook carries a secret token in the URL), records opt-outs and
// opt-ins such as STOP and START as consent, fetches MMS media before a
// message is stored, and sends replies as plain text that the provider
// splits into segments (Segments counts them). It does not send media:
// Twilio fetches MMS media from a public URL, which Loket's attachments do
// not have. It does not decide whom it may text: the core refuses sends to
// contacts who opted out.
package sms
