package webchat

import (
	"fmt"
	"hash/fnv"
)

// VisitorName names an anonymous visitor for agents, "Visitor 4821", in
// place of a raw token: the number is derived from the visitor's public
// id, so a visitor keeps it across conversations and agents can tell two
// visitors apart. A name from the pre-chat form or the site wins.
func VisitorName(publicID string) string {
	h := fnv.New32a()
	h.Write([]byte(publicID))
	return fmt.Sprintf("Visitor %04d", h.Sum32()%10000)
}
