package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzTarget has every shape of field the request types use.
type fuzzTarget struct {
	Name    string            `json:"name"`
	Ptr     *string           `json:"ptr"`
	List    []string          `json:"list"`
	Map     map[string]string `json:"map"`
	Any     any               `json:"any"`
	Raw     json.RawMessage   `json:"raw"`
	Nested  *contactRequest   `json:"nested"`
	Message *messageRequest   `json:"message"`
}

// FuzzDecodeJSON checks that the request decoder never panics, refuses
// what it cannot read with a 400, and hands handlers only text that both
// databases store: valid UTF-8 without NUL, however the body was written.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"Jan"}`,
		`{"name":"a\u0000b","ptr":"\u0000","list":["\u0000",""],"map":{"k\u0000":"v\u0000"}}`,
		`{"any":{"x":["\u0000",1,{"y\u0000":"\ud800"}]},"raw":{"z":"\u0000"}}`,
		`{"nested":{"name":"\u0000","attributes":{"a":"\u0000"},"identities":[{"kind":"email","value":"a\u0000@b.nl"}]}}`,
		`{"message":{"text":"\u0000","cc":["\u0000"]}}`,
		"{\"name\":\"\xff\xfe\"}",
		`{"name":` + strings.Repeat(`[`, 1000),
		`{"unknown":1}`,
		``,
		`{} {}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v fuzzTarget
		err := decodeBytes(body, &v)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.status != http.StatusBadRequest {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		checkClean(t, reflect.ValueOf(v), "")
	})
}

// checkClean fails when any string below v is not clean text.
func checkClean(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	bad := func(s string) bool { return !utf8.ValidString(s) || strings.ContainsRune(s, 0) }
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			checkClean(t, v.Elem(), path)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				checkClean(t, v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		}
	case reflect.Slice:
		if v.Type() == rawMessageType {
			var decoded any
			if v.Len() > 0 && json.Unmarshal(v.Bytes(), &decoded) == nil {
				checkClean(t, reflect.ValueOf(&decoded), path)
			}
			return
		}
		for i := range v.Len() {
			checkClean(t, v.Index(i), path+"[]")
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if k.Kind() == reflect.String && bad(k.String()) {
				t.Fatalf("%s has key %q", path, k.String())
			}
			checkClean(t, v.MapIndex(k), path+"[key]")
		}
	case reflect.String:
		if bad(v.String()) {
			t.Fatalf("%s = %q", path, v.String())
		}
	}
}
