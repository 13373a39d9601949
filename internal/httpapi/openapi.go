package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
)

// The API description is split by area: openapi/core.json holds the
// document (info, security, shared components) and every other file in
// openapi/ adds tags, paths and component schemas of one area. They are
// merged once at start-up into openAPIDoc.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

var openAPIDoc = mustMergeOpenAPI(openAPIFiles)

// mustMergeOpenAPI merges the fragments into core.json. A fragment that
// redefines a path operation, tag or schema is a programming error and
// panics, so a clash is found by the first test that runs.
func mustMergeOpenAPI(fsys fs.FS) []byte {
	doc, err := mergeOpenAPI(fsys)
	if err != nil {
		panic(err)
	}
	return doc
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
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
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for _, name := range names {
		if name == "openapi/core.json" {
			continue
		}
		frag, err := read(name)
		if err != nil {
			return nil, err
		}
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
	w.Write(openAPIDoc)
	return nil
}
