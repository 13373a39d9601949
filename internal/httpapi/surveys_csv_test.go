package httpapi

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"testing"

	"loket.dev/loket/internal/domain"
)

func TestWriteSurveysCSV_CommentsThatLookLikeFormulasStayText(t *testing.T) {
	for _, c := range []struct{ comment, want string }{
		{"", ""},
		{"Quick, thanks", "Quick, thanks"},
		{"=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"},
		{"+31 6 1234", "'+31 6 1234"},
		{"-1 star", "'-1 star"},
		{"@home", "'@home"},
		{"a=b", "a=b"},
	} {
		var b bytes.Buffer
		if err := writeSurveysCSV(&b, []*domain.Survey{{ID: 1, Kind: domain.SurveyCSAT, Score: 5, Comment: c.comment, AnsweredAt: 1_000}}); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&b).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1", "csat", "5", c.want, "1970-01-01T00:00:01Z", "", "0", "0", "0", "0", ""}
		if len(rows) != 2 || !reflect.DeepEqual(rows[1], want) {
			t.Errorf("comment %q: rows %q, want %q", c.comment, rows, want)
		}
	}
}
