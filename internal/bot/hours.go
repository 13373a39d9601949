package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/sla"
)

// Settings are the bot's channel settings, under "bot":
//
//	{"bot": {"enabled": true, "hours": "outside_business_hours", "calendar_id": 2}}
//
// Hours is "always" (the default) or "outside_business_hours". The
// business hours are those of the calendar calendar_id, else of the SLA
// policy that applies to the channel; a channel with neither is always
// within business hours.
type Settings struct {
	Enabled    bool   `json:"enabled"`
	Hours      string `json:"hours"`
	CalendarID int64  `json:"calendar_id,omitempty"`
}

// Hours values.
const (
	HoursAlways  = "always"
	HoursOutside = "outside_business_hours"
)

// ValidateSettings checks a channel's "bot" settings. They belong to
// every channel kind, so they are checked here and not by the adapters.
func ValidateSettings(raw json.RawMessage) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s Settings
	if err := channel.DecodeSettings(raw, &s); err != nil {
		return domain.Invalid("invalid_settings", "bot settings: "+err.Error()+"; allowed: enabled, hours, calendar_id")
	}
	if s.Hours != "" && s.Hours != HoursAlways && s.Hours != HoursOutside {
		return domain.Invalid("invalid_settings", `bot.hours must be "always" or "outside_business_hours"`)
	}
	if s.CalendarID < 0 {
		return domain.Invalid("invalid_settings", "bot.calendar_id must be a calendar id")
	}
	return nil
}

func settingsOf(ch *domain.Channel) Settings {
	var s struct {
		Bot Settings `json:"bot"`
	}
	if len(ch.Settings) > 0 {
		json.Unmarshal(ch.Settings, &s)
	}
	return s.Bot
}

// Active reports whether the bot takes a new conversation on ch at the
// time at (Unix milliseconds). The desk asks it for the first message of
// every new ticket (desk.Config.BotActive).
func (b *Bot) Active(ch *domain.Channel, at int64) bool {
	s := settingsOf(ch)
	switch {
	case !s.Enabled:
		return false
	case s.Hours == "" || s.Hours == HoursAlways:
		return true
	case s.Hours == HoursOutside:
		cal := b.calendar(ch)
		return cal != nil && !cal.IsOpen(time.UnixMilli(at))
	}
	return false
}

// calendar returns the business hours of ch (see Settings), or nil. When
// they cannot be loaded it uses the last ones loaded, if any.
func (b *Bot) calendar(ch *domain.Channel) *sla.Calendar {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rules, err := b.hours.Rules(ctx)
	if err != nil {
		b.log.Warn("bot: load business hours", "err", err)
	}
	if rules == nil {
		return nil
	}
	if id := settingsOf(ch).CalendarID; id != 0 {
		return rules.Calendar(id)
	}
	return rules.ForChannel(ch)
}

// formatWhen names a coming moment the way people say it: "today at
// 09:00", "tomorrow at 09:00" or "on Monday at 09:00", in lang.
func formatWhen(lang string, at, now time.Time) string {
	w := words[lang]
	if w.today == "" {
		w = words["en"]
	}
	clock := at.Format("15:04")
	y1, m1, d1 := now.Date()
	y2, m2, d2 := at.Date()
	days := int(time.Date(y2, m2, d2, 0, 0, 0, 0, time.UTC).Sub(time.Date(y1, m1, d1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	switch {
	case days <= 0:
		return fmt.Sprintf(w.at, w.today, clock)
	case days == 1:
		return fmt.Sprintf(w.at, w.tomorrow, clock)
	case days < 7:
		return fmt.Sprintf(w.at, w.on+w.weekdays[at.Weekday()], clock)
	}
	return fmt.Sprintf(w.at, w.on+at.Format("2006-01-02"), clock)
}

var words = map[string]struct {
	today, tomorrow, on, at string
	weekdays                [7]string
}{
	"en": {"today", "tomorrow", "on ", "%s at %s", [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}},
	"nl": {"vandaag", "morgen", "op ", "%s om %s", [7]string{"zondag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"}},
	"de": {"heute", "morgen", "am ", "%s um %s", [7]string{"Sonntag", "Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag"}},
}
