package api

import (
	"net/netip"
	"net/url"
	"strings"
)

// privateHost reports whether u names a host that private (WEBHOOK_PRIVATE=deny)
// refuses at creation: localhost, a name under .localhost (RFC 6761: always this
// host), or a literal IP address private says no to. Other names are not resolved:
// what they resolve to may change, so delivery checks every address it connects to.
func privateHost(u *url.URL, private func(netip.Addr) bool) bool {
	if private == nil {
		return false
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && private(a)
}
