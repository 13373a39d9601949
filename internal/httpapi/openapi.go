package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"

	"loket.dev/loket/internal/channel"
)

// The API description is split by area: openapi/core.json holds the
// document (info, security, shared components) and every other file in
// openapi/ adds tags, paths and component schemas of one area, as does each
// adapter that documents its own routes (channel.Documenter). They are
// merged once, when the server is made.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

// mustMergeOpenAPI merges the fragments and the adapters' into core.json. A
// fragment that redefines a path operation, tag or schema is a programming
// error and panics, so a clash is found by the first test that runs.
func mustMergeOpenAPI(fsys fs.FS, channels *channel.Registry) []byte {
	var extra []fragment
	if channels != nil {
		for _, a := range channels.Adapters() {
			if d, ok := a.(channel.Documenter); ok {
				extra = append(extra, fragment{a.Kind() + " adapter", d.OpenAPI()})
			}
		}
	}
	doc, err := mergeOpenAPI(fsys, extra...)
	if err != nil {
		panic(err)
	}
	return doc
}

// fragment is a part of the API description from outside openapi/.
type fragment struct {
	name string
	json []byte
}

func mergeOpenAPI(fsys fs.FS, extra ...fragment) ([]byte, error) {
	read := func(name string) (map[string]any, error) {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("openapi %s: %w", name, err)
		}
		return m, nil
	}
	doc, err := read("openapi/core.json")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	frags := make([]map[string]any, 0, len(names)+len(extra))
	fragNames := make([]string, 0, len(names)+len(extra))
	for _, name := range names {
		if name == "openapi/core.json" {
			continue
		}
		frag, err := read(name)
		if err != nil {
			return nil, err
		}
		frags, fragNames = append(frags, frag), append(fragNames, name)
	}
	for _, e := range extra {
		var frag map[string]any
		if err := json.Unmarshal(e.json, &frag); err != nil {
			return nil, fmt.Errorf("openapi of the %s: %w", e.name, err)
		}
		frags, fragNames = append(frags, frag), append(fragNames, e.name)
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for i, frag := range frags {
		name := fragNames[i]
		if tags, ok := frag["tags"].([]any); ok {
			doc["tags"] = append(doc["tags"].([]any), tags...)
		}
		fragPaths, _ := frag["paths"].(map[string]any)
		for p, item := range fragPaths {
			have, _ := paths[p].(map[string]any)
			if have == nil {
				have = map[string]any{}
				paths[p] = have
			}
			for method, op := range item.(map[string]any) {
				if _, dup := have[method]; dup {
					return nil, fmt.Errorf("openapi %s: %s %s is already described", name, method, p)
				}
				have[method] = op
			}
		}
		comps, _ := frag["components"].(map[string]any)
		fragSchemas, _ := comps["schemas"].(map[string]any)
		for k, v := range fragSchemas {
			if _, dup := schemas[k]; dup {
				return nil, fmt.Errorf("openapi %s: schema %s is already described", name, k)
			}
			schemas[k] = v
		}
	}
	return json.Marshal(doc)
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request, _ *principal) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(s.openAPIDoc)
	return nil
}
