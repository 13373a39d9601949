package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/desk"
	"loket.dev/loket/internal/domain"
)

// MaxMediaBytes is the largest media file taken in, the desk's limit on one
// attachment; WhatsApp documents may be larger and become a note instead.
const MaxMediaBytes = desk.MaxAttachmentBytes

var (
	errGone     = errors.New("no longer available")
	errTooLarge = errors.New("too large")
)

// Fetch implements channel.Fetcher: it downloads the media a message
// refers to while the media id is valid (seven days). Media that WhatsApp
// no longer has, or that is too large to keep, becomes a note in the
// message's text, since retrying cannot bring it back; any other failure
// is returned, so the payload is kept and fetched again later.
func (a *Adapter) Fetch(ctx context.Context, ch *domain.Channel, in *channel.Inbound) error {
	var s *Settings
	kept := in.Attachments[:0]
	var notes []string
	for _, att := range in.Attachments {
		if att.Ref == "" || att.Data != nil {
			kept = append(kept, att)
			continue
		}
		if s == nil {
			var err error
			if s, err = ParseSettings(ch.Settings); err != nil {
				return err
			}
		}
		data, contentType, err := a.download(ctx, s, ch.Secrets[SecretAccessToken], att.Ref)
		switch {
		case errors.Is(err, errGone):
			notes = append(notes, fmt.Sprintf("[%s: the file is no longer available at WhatsApp]", att.Filename))
			continue
		case errors.Is(err, errTooLarge):
			notes = append(notes, fmt.Sprintf("[%s: the file is larger than %d MiB and was not kept]", att.Filename, MaxMediaBytes>>20))
			continue
		case err != nil:
			return fmt.Errorf("fetch whatsapp media %s of message %s: %w", att.Ref, in.ExternalID, err)
		}
		att.Data = data
		if att.ContentType == "" {
			att.ContentType = contentType
		}
		kept = append(kept, att)
	}
	in.Attachments = kept
	if len(notes) > 0 {
		in.Text = strings.TrimSpace(strings.Join(append(nonEmpty(in.Text), notes...), "\n\n"))
	}
	return nil
}

// download gets a media file in WhatsApp's two steps: its short-lived URL
// from the media id, then the file from that URL, both with the token.
func (a *Adapter) download(ctx context.Context, s *Settings, token, id string) ([]byte, string, error) {
	var info struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
		FileSize int64  `json:"file_size"`
	}
	err := a.call(ctx, http.MethodGet, s.endpoint(id), token, nil, "", &info)
	var ae *APIError
	if errors.As(err, &ae) && ae.gone() {
		return nil, "", errGone
	}
	if err != nil {
		return nil, "", err
	}
	if info.FileSize > MaxMediaBytes {
		return nil, "", errTooLarge
	}
	// The token goes only to a TLS address, or to the API's own host.
	if u, err := url.Parse(info.URL); err != nil || u.Host == "" || (u.Scheme != "https" && !s.sameOrigin(info.URL)) {
		return nil, "", fmt.Errorf("media %s has no usable download URL", id)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.URL, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, "", errGone
	case resp.StatusCode/100 != 2:
		return nil, "", fmt.Errorf("download answered %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxMediaBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("download: %w", err)
	}
	if len(data) > MaxMediaBytes {
		return nil, "", errTooLarge
	}
	return data, info.MimeType, nil
}

// filename is a received file's name: a document's own, else its kind with
// the extension of its type, such as "image.jpg".
func filename(kind string, md *media) string {
	if name := domain.BaseFilename(md.Filename); name != "" {
		return name
	}
	return kind + extension(md.MimeType)
}

// extensions are the usual extensions of the types WhatsApp carries.
var extensions = map[string]string{
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
	"video/mp4": ".mp4", "video/3gpp": ".3gp",
	"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/amr": ".amr",
	"application/pdf": ".pdf", "text/plain": ".txt",
}

func extension(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	if ext, ok := extensions[mt]; ok {
		return ext
	}
	if exts, _ := mime.ExtensionsByType(mt); len(exts) > 0 {
		return exts[0]
	}
	return ""
}
