package httpapi

import "loket.dev/loket/internal/channel"

// RouteAccess lists the route table: method, path and who may call it, as
// in x-loket-access. Tests outside the package walk it.
func RouteAccess() [][3]string {
	s := New(Config{Channels: channel.NewRegistry()})
	var out [][3]string
	for _, rt := range s.routes() {
		out = append(out, [3]string{rt.method, rt.path, accessNames[rt.access]})
	}
	return out
}
