// Package letter is the paper-letter channel kind: customers write letters
// that agents register with their scan (RegisterLetter in the desk), and
// agents answer with letters printed on the company's letterhead.
//
// Send renders a reply as a PDF (the letterhead from the channel's
// settings, the customer's postal address in the envelope window, the date
// in the customer's language, the ticket's reference, the text and the
// footer) and hands it back as the message's attachment. The message stays
// queued: the channel is manual (Capabilities.Manual), so it becomes sent
// only when an agent confirms the letter was posted.
//
// Extract reads the text of a scan so that letters can be searched, with
// pdftotext and tesseract when they are on PATH, under a timeout and size
// limits, as scans are hostile input. It never fails a registration: a
// letter without readable text is kept without it, with a note that says
// why. The package does not post anything and speaks to no provider.
package letter
