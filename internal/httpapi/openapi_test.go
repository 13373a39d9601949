package httpapi

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"loket.dev/loket/internal/channel"
	"loket.dev/loket/internal/channel/api"
	"loket.dev/loket/internal/channel/email"
	"loket.dev/loket/internal/channel/frontdesk"
	"loket.dev/loket/internal/channel/meta"
	"loket.dev/loket/internal/channel/sms"
	"loket.dev/loket/internal/channel/telegram"
	"loket.dev/loket/internal/channel/webchat"
	"loket.dev/loket/internal/channel/whatsapp"
)

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = map[string]bool{
	"get": true, "put": true, "post": true, "delete": true,
	"options": true, "head": true, "patch": true, "trace": true,
}

// accessNames are the values of the x-loket-access extension.
var accessNames = map[access]string{public: "public", anyAgent: "agent", supervisor: "supervisor", admin: "admin", events: "events"}

// documentedServer is a server with every adapter that has routes of its
// own, as serve.go registers them.
func documentedServer() *Server {
	return New(Config{Channels: channel.NewRegistry(api.New(), email.New(nil), webchat.New(webchat.Config{}),
		whatsapp.New(whatsapp.Config{}), meta.Messenger(meta.Config{}), meta.Instagram(meta.Config{}), telegram.New(telegram.Config{}), sms.New(sms.Config{}),
		frontdesk.New(frontdesk.Config{}))})
}

func parseOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(documentedServer().openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

func TestOpenAPI_DocumentsEveryRoute(t *testing.T) {
	doc := parseOpenAPI(t)
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("openapi.json has no paths object")
	}
	s := documentedServer()
	real := map[string]bool{}
	routes := s.routes()
	for _, a := range s.channels.Adapters() {
		if r, ok := a.(channel.Router); ok {
			for _, rt := range r.Routes() {
				routes = append(routes, route{method: rt.Method, path: adapterPath(a.Kind(), rt), access: public})
			}
		}
	}
	for _, rt := range routes {
		method := strings.ToLower(rt.method)
		real[method+" "+rt.path] = true
		item, _ := paths[rt.path].(map[string]any)
		op, ok := item[method].(map[string]any)
		if !ok {
			t.Errorf("route %s %s is not documented in openapi/*.json", rt.method, rt.path)
			continue
		}
		if got, want := op["x-loket-access"], accessNames[rt.access]; got != want {
			t.Errorf("%s %s: x-loket-access is %v, the route table says %s", rt.method, rt.path, got, want)
		}
		// Public routes must override the document-wide session/API-token
		// requirement (with none, or their own scheme such as the inbound
		// token); the others must not drop it.
		sec, hasSec := op["security"].([]any)
		if rt.access == public {
			if !hasSec {
				t.Errorf("%s %s is public but inherits the document's security", rt.method, rt.path)
			}
			for _, req := range sec {
				if _, ok := req.(map[string]any)["sessionCookie"]; ok {
					t.Errorf("%s %s is public but documented as needing a session", rt.method, rt.path)
				}
			}
		} else if hasSec && len(sec) == 0 {
			t.Errorf("%s %s needs credentials but is documented without security", rt.method, rt.path)
		}
	}
	var stale []string
	for path, v := range paths {
		item, ok := v.(map[string]any)
		if !ok {
			t.Errorf("paths[%q] is not an object", path)
			continue
		}
		for key := range item {
			if openAPIMethods[key] && !real[key+" "+path] {
				stale = append(stale, strings.ToUpper(key)+" "+path)
			}
		}
	}
	sort.Strings(stale)
	for _, op := range stale {
		t.Errorf("openapi/*.json documents %s, which is not in the route table", op)
	}
}

func TestOpenAPI_IsValidJSONWithVersion31(t *testing.T) {
	doc := parseOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Errorf("openapi version is %q, want 3.1.x", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] != "Loket" || info["version"] != "1" {
		t.Errorf("info is %v, want title Loket and version 1", info)
	}

	// Every $ref points into components and resolves.
	var refs int
	walkJSON(doc, "#", func(at string, v map[string]any) {
		ref, ok := v["$ref"].(string)
		if !ok {
			return
		}
		refs++
		if !strings.HasPrefix(ref, "#/components/") {
			t.Errorf("%s: $ref %q does not point into #/components", at, ref)
			return
		}
		if resolvePointer(doc, ref) == nil {
			t.Errorf("%s: $ref %q does not resolve", at, ref)
		}
	})
	if refs == 0 {
		t.Error("openapi.json uses no $ref; expected shared components")
	}

	// Every operation has responses and declares its path's parameters.
	paths, _ := doc["paths"].(map[string]any)
	param := regexp.MustCompile(`\{([^}]+)\}`)
	ids := map[string]string{}
	for path, v := range paths {
		item, _ := v.(map[string]any)
		for method, o := range item {
			if !openAPIMethods[method] {
				continue
			}
			op, _ := o.(map[string]any)
			where := strings.ToUpper(method) + " " + path
			if rs, _ := op["responses"].(map[string]any); len(rs) == 0 {
				t.Errorf("%s has no responses", where)
			}
			if id, _ := op["operationId"].(string); id == "" {
				t.Errorf("%s has no operationId", where)
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q is used by %s and %s", id, prev, where)
			} else {
				ids[id] = where
			}
			declared := map[string]bool{}
			params, _ := op["parameters"].([]any)
			for _, p := range params {
				pm, _ := p.(map[string]any)
				if ref, ok := pm["$ref"].(string); ok {
					pm, _ = resolvePointer(doc, ref).(map[string]any)
				}
				if pm["in"] == "path" {
					declared[pm["name"].(string)] = true
				}
			}
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s does not declare path parameter %q", where, m[1])
				}
			}
		}
	}
}

// walkJSON calls fn for every object in v, with its JSON pointer.
func walkJSON(v any, at string, fn func(at string, obj map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		fn(at, x)
		for k, e := range x {
			walkJSON(e, at+"/"+strings.NewReplacer("~", "~0", "/", "~1").Replace(k), fn)
		}
	case []any:
		for i, e := range x {
			walkJSON(e, at+"/"+strconv.Itoa(i), fn)
		}
	}
}

// resolvePointer returns what a local JSON pointer ("#/a/b") names in doc,
// or nil.
func resolvePointer(doc map[string]any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	var cur any = doc
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[tok]; !ok {
			return nil
		}
	}
	return cur
}
