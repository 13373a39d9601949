package httpapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"loket.dev/loket/internal/domain"
)

// cleanRequestText normalises the query parameters and the path values
// named (pathNames of the route) the way domain.CleanText does, so that a
// NUL or a broken UTF-8 sequence in a URL is handled alike on both
// databases instead of failing in one of them.
func cleanRequestText(r *http.Request, names []string) {
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		changed := false
		for k, vs := range q {
			for i, v := range vs {
				if c := domain.CleanText(v); c != v {
					vs[i], changed = c, true
				}
			}
			q[k] = vs
		}
		if changed {
			r.URL.RawQuery = q.Encode()
		}
	}
	for _, name := range names {
		if v := r.PathValue(name); v != "" {
			r.SetPathValue(name, domain.CleanText(v))
		}
	}
}

// pathNames lists the {name} segments of a route pattern.
func pathNames(pattern string) []string {
	var names []string
	for _, m := range wildcard.FindAllStringSubmatch(pattern, -1) {
		names = append(names, m[1])
	}
	return names
}

// wildcard matches the {name} segments of a route pattern.
var wildcard = regexp.MustCompile(`\{([a-z_]+)\}`)

// requireJSON refuses a request body that is not declared as JSON. A JSON
// route that took text/plain could be posted to from any web page without
// a CORS preflight.
func requireJSON(r *http.Request) error {
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send the request body as Content-Type: application/json")
	}
	return nil
}

// takesJSON reports whether a route's request body is JSON. Raw mail import
// takes message/rfc822, and channel inbound leaves the content type to the
// channel's adapter (the API channel takes JSON only). Adapters' own routes,
// such as the website chat's, are not in the route table: they decide
// their content types themselves.
func takesJSON(rt route) bool {
	switch rt.path {
	case "/api/v1/channels/{id}/email", "/api/v1/channels/{id}/inbound", "/survey/{token}", "/api/v1/letters",
		"/identify/{token}", "/identify/{token}/{code}":
		return false
	}
	return rt.method == http.MethodPost || rt.method == http.MethodPut || rt.method == http.MethodPatch
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// cleanStrings applies domain.CleanText to every string reachable from v
// (fields, elements, map keys and values) and domain.CleanJSON to every
// json.RawMessage, in place.
func cleanStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			cleanStrings(v.Elem())
		}
	case reflect.Interface:
		if v.IsNil() || !v.CanSet() {
			return
		}
		c := reflect.New(v.Elem().Type()).Elem()
		c.Set(v.Elem())
		cleanStrings(c)
		v.Set(c)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				cleanStrings(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Type() == rawMessageType {
			if v.CanSet() {
				v.SetBytes(domain.CleanJSON(v.Bytes()))
			}
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return
		}
		for i := range v.Len() {
			cleanStrings(v.Index(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			cleanStrings(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		iter := v.MapRange()
		type entry struct{ k, v reflect.Value }
		var entries []entry
		for iter.Next() {
			k := reflect.New(iter.Key().Type()).Elem()
			k.Set(iter.Key())
			e := reflect.New(iter.Value().Type()).Elem()
			e.Set(iter.Value())
			entries = append(entries, entry{k, e})
		}
		for _, en := range entries {
			v.SetMapIndex(en.k, reflect.Value{})
			cleanStrings(en.k)
			cleanStrings(en.v)
			v.SetMapIndex(en.k, en.v)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(domain.CleanText(v.String()))
		}
	}
}
