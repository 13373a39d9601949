package httpapi_test

import (
	"fmt"
	"testing"

	"loket.dev/loket/internal/store"
	"loket.dev/loket/internal/store/storetest"
)

func TestChannels_BotSettingsAreCheckedForEveryKind(t *testing.T) {
	e := newEnv(t, storetest.Open(t, store.SQLite))
	path := fmt.Sprintf("/api/v1/channels/%d", e.channel)
	for _, tc := range []struct {
		settings string
		want     int
		code     string
	}{
		{`{"bot":{"enabled":true,"hours":"always"}}`, 200, ""},
		{`{"bot":{"enabled":true,"hours":"outside_business_hours","calendar_id":3}}`, 200, ""},
		{`{"bot":{"enabled":true,"hours":"weekends"}}`, 422, "invalid_settings"},
		{`{"bot":{"enabled":true,"mood":"cheerful"}}`, 422, "invalid_settings"},
		{`{"bot":true}`, 422, "invalid_settings"},
		{`{"colour":"red"}`, 422, "invalid_settings"}, // the API channel's own settings are still checked
	} {
		var out struct{ Error struct{ Code string } }
		e.do("PATCH", path, e.token, `{"settings":`+tc.settings+`}`, tc.want, &out)
		if out.Error.Code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.settings, out.Error.Code, tc.code)
		}
	}
}
