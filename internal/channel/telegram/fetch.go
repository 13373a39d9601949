package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
)

// maxDownload is the largest file the Bot API lets a bot download.
const maxDownload = 20 << 20

// errTooBig marks a file the Bot API will not hand to a bot.
var errTooBig = errors.New("larger than the 20 MB bots may download")

// Fetch implements channel.Fetcher: it downloads each attachment the
// update only referred to (a file id) through getFile. A file over the Bot
// API's 20 MB limit is left out with a note in the text, so the message
// itself still arrives; any other failure is returned, keeping the update
// as a dead letter to be fetched again.
func (a *Adapter) Fetch(ctx context.Context, ch *domain.Channel, in *channel.Inbound) error {
	if len(in.Attachments) == 0 {
		return nil
	}
	b, err := a.bot(ch)
	if err != nil {
		return err
	}
	kept := in.Attachments[:0]
	for _, att := range in.Attachments {
		if att.Ref == "" || att.Data != nil {
			kept = append(kept, att)
			continue
		}
		data, err := b.download(ctx, att.Ref)
		if errors.Is(err, errTooBig) {
			in.Text = joinLines(in.Text, fmt.Sprintf("[%s was not received: Telegram lets bots download files of at most 20 MB]", att.Filename))
			continue
		}
		if err != nil {
			return fmt.Errorf("fetch telegram file %s: %w", att.Filename, err)
		}
		att.Data = data
		kept = append(kept, att)
	}
	in.Attachments = kept
	return nil
}

// download asks getFile where a file is and reads it.
func (b *bot) download(ctx context.Context, fileID string) ([]byte, error) {
	var f struct {
		FileSize int64  `json:"file_size"`
		FilePath string `json:"file_path"`
	}
	err := b.call(ctx, "getFile", map[string]string{"file_id": fileID}, &f)
	var ae *apiError
	if errors.As(err, &ae) && ae.Code == http.StatusBadRequest && strings.Contains(strings.ToLower(ae.Description), "too big") {
		return nil, errTooBig
	}
	if err != nil {
		return nil, err
	}
	if f.FileSize > maxDownload {
		return nil, errTooBig
	}
	if f.FilePath == "" {
		return nil, errors.New("telegram getFile: no file_path in the answer")
	}
	u := b.base + "/file/bot" + b.token + "/" + (&url.URL{Path: f.FilePath}).EscapedPath()
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, errors.New("telegram file download: bad file path")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("telegram file download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram file download: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload+1))
	if err != nil {
		return nil, fmt.Errorf("telegram file download: %w", err)
	}
	if len(data) > maxDownload {
		return nil, errTooBig
	}
	return data, nil
}
