package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"loket.dev/loket/internal/domain"
)

// ErrPrivateAddress is why a delivery to an address inside the network
// Loket runs in is refused: without this guard, whoever may add a webhook
// could make Loket call internal services (the cloud's metadata endpoint,
// an admin interface on localhost) and read their answers in the delivery
// log. LOKET_WEBHOOK_ALLOW_PRIVATE=1 lifts it.
var ErrPrivateAddress = errors.New("webhook: the address is loopback, private, link-local or reserved")

// reserved are ranges outside netip's own categories that are not the
// public internet either.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT, some clouds' internal services
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("fec0::/10"),      // site-local (deprecated, still routed by some)
}

// nat64 is the well-known NAT64 prefix: its last 32 bits are an IPv4
// address, which is what is checked.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// blocked reports whether deliveries must not connect to ip.
func blocked(ip netip.Addr) bool {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// guard is a net.Dialer Control function: it runs after the name was
// resolved, on the very address about to be connected to, so a name that
// resolves to a public address when the webhook is saved and to a private
// one when it is called (DNS rebinding) is refused all the same.
func guard(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: dial %s: %w", address, err)
	}
	if blocked(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// Timeout bounds one delivery attempt: connecting, sending and reading the
// answer's start.
const Timeout = 10 * time.Second

// NewClient returns the client deliveries are made with, fit for any call
// to a URL an admin or a rule names: Timeout per request, redirects not
// followed (a 3xx counts as a failure, so a receiver cannot bounce Loket
// to an address the guard would refuse), no proxy from the environment
// (the guard must see the receiver's address, not the proxy's), and the
// guard unless allowPrivate.
func NewClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = guard
	}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: Timeout,
			MaxIdleConns:          64,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// maxURL bounds a webhook's URL.
const maxURL = 2048

// CheckURL refuses a URL deliveries cannot or must not be made to: not
// absolute http(s), with credentials (the secret's signature is how a
// receiver knows Loket), too long, or, unless allowPrivate, naming or
// resolving to an address the guard refuses. A name that does not resolve
// now is accepted; the guard checks it again at every delivery.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	if raw == "" {
		return domain.Invalid("invalid_url", "url is required")
	}
	if len(raw) > maxURL {
		return domain.Invalid("invalid_url", fmt.Sprintf("url is longer than %d characters", maxURL))
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return domain.Invalid("invalid_url", "url must be an absolute http:// or https:// address, such as https://shop.example/loket-events")
	}
	if u.User != nil {
		return domain.Invalid("invalid_url", "url must not carry a user name or password; check the X-Loket-Signature header instead")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	private := domain.Invalid("private_address", fmt.Sprintf("%s is an address inside Loket's own network; "+
		"deliveries go only to public addresses unless LOKET_WEBHOOK_ALLOW_PRIVATE=1 is set", u.Hostname()))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return private
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if blocked(ip) {
			return private
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, ip := range ips {
		if blocked(ip) {
			return private
		}
	}
	return nil
}
