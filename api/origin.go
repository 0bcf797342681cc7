package api

import (
	"net/url"
	"path"
	"strings"
)

// Origins matches request origins against ALLOWED_ORIGINS entries: full origins
// ("https://app.example.com") or host patterns ("*.example.com", "localhost:3000").
type Origins struct {
	exact []string
	hosts []string
}

// ParseOrigins splits a comma list of entries.
func ParseOrigins(list string) Origins {
	var o Origins
	for _, e := range strings.Split(list, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
		case strings.Contains(e, "://"):
			o.exact = append(o.exact, strings.TrimSuffix(e, "/"))
		default:
			o.hosts = append(o.hosts, e)
		}
	}
	return o
}

// Allowed reports whether a browser on origin may call us. requestHost is the Host of
// the request: the same host is always allowed, as browsers would allow it anyway.
// An empty origin (a non-browser client) is allowed.
func (o Origins) Allowed(origin, requestHost string) bool {
	if origin == "" {
		return true
	}
	u, err := url.Parse(strings.ToLower(origin))
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, requestHost) {
		return true
	}
	for _, e := range o.exact {
		if e == u.Scheme+"://"+u.Host {
			return true
		}
	}
	for _, p := range o.hosts {
		if ok, _ := path.Match(p, u.Host); ok {
			return true
		}
		if ok, _ := path.Match(p, u.Hostname()); ok {
			return true
		}
	}
	return false
}
