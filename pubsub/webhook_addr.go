package pubsub

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// PrivateAddr reports whether a webhook must not reach a under WEBHOOK_PRIVATE=deny:
// an address of this host or of a network behind it (loopback, RFC 1918, link-local
// such as cloud metadata at 169.254.169.254, carrier-grade NAT, ...), a multicast or
// unspecified one, or one that is not an address at all. A NAT64 address (64:ff9b::/96)
// is judged by the IPv4 address it embeds, so IPv6-only hosts still reach public ones.
func PrivateAddr(a netip.Addr) bool {
	if !a.IsValid() {
		return true
	}
	// A zone would make every Prefix.Contains below false; an IPv4-mapped IPv6
	// address reaches the IPv4 one.
	a = a.WithZone("").Unmap()
	if nat64 := netip.PrefixFrom(netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b}), 96); nat64.Contains(a) {
		b := a.As16()
		return PrivateAddr(netip.AddrFrom4([4]byte(b[12:])))
	}
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range privateRanges() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// privateRanges are the ranges netip.Addr's own predicates do not name.
func privateRanges() [6]netip.Prefix {
	return [...]netip.Prefix{
		netip.PrefixFrom(netip.AddrFrom4([4]byte{0, 0, 0, 0}), 8),     // "this network": Linux dials this host
		netip.PrefixFrom(netip.AddrFrom4([4]byte{100, 64, 0, 0}), 10), // carrier-grade NAT (RFC 6598)
		netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 0, 0}), 24),  // IETF protocol assignments
		netip.PrefixFrom(netip.AddrFrom4([4]byte{198, 18, 0, 0}), 15), // benchmarking networks (RFC 2544)
		netip.PrefixFrom(netip.AddrFrom4([4]byte{240, 0, 0, 0}), 4),   // reserved, and the broadcast address
		netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfe, 0xc0}), 10),  // site-local (deprecated, still routed inside)
	}
}

// privateAddrError is a connection refused under WEBHOOK_PRIVATE=deny.
type privateAddrError struct{ addr string }

func (e *privateAddrError) Error() string {
	return "webhook address " + e.addr + " is private; WEBHOOK_PRIVATE=deny"
}

// refusePrivate is the dialer's Control under WEBHOOK_PRIVATE=deny. It sees the
// address actually dialled, after DNS, so a name that resolves (or, rebinding,
// re-resolves) to a private address is refused like a literal one.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook address %q cannot be checked; WEBHOOK_PRIVATE=deny", address)
	}
	if PrivateAddr(ap.Addr()) {
		return &privateAddrError{addr: address}
	}
	return nil
}

// denyPrivate makes t refuse private addresses. It uses no proxy: a proxy would
// connect on its behalf, to addresses the check never sees.
func denyPrivate(t *http.Transport) {
	// The timeouts are http.DefaultTransport's dialer's.
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refusePrivate}
	t.DialContext = d.DialContext
	t.Proxy = nil
}

// attemptError is a failed request's text in the deliveries. A refused private
// address is given alone: the URL that the whole error starts with may be long
// enough for maxErrorText to cut the reason off.
func attemptError(err error) string {
	if pe, ok := errors.AsType[*privateAddrError](err); ok {
		return pe.Error()
	}
	return err.Error()
}
