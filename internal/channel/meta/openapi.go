package meta

import (
	_ "embed"
	"strings"
)

//go:embed openapi.json
var openAPI string

// OpenAPI implements channel.Documenter: the webhook and its handshake,
// under the kind's own path, tag and schema names so that both kinds'
// fragments merge.
func (a *Adapter) OpenAPI() []byte {
	return []byte(strings.NewReplacer("KIND", a.p.kind, "TITLE", a.p.title, "SCHEMA", a.p.title, "OBJECT", a.p.object).Replace(openAPI))
}
