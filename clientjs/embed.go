// Package clientjs embeds the JavaScript client and the demo pages that supportd serves at /demo/.
package clientjs

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// files holds the demo pages (demo/) and the client's module files (lib/) they import.
//
//go:embed demo lib
var files embed.FS

// Demo serves the demo pages and is meant to be mounted at /demo/ (it strips the
// /demo prefix itself; /demo redirects to /demo/). The URL layout:
//
//	/demo/              index.html: how to open the pages with a token
//	/demo/widget.html   the customer widget (?token=<client JWT>)
//	/demo/console.html  the agent console (?token=<superAdmin JWT>)
//	/demo/*.js, *.css   the pages' scripts and styles (clientjs/demo/)
//	/demo/lib/*.js      the client package's own module files (clientjs/lib/)
//
// so the pages' relative import ./lib/supportd-client.js loads the package itself,
// not a copy. The pages need no token to load; their API calls do.
func Demo() http.Handler {
	site := http.StripPrefix("/demo", http.FileServerFS(demoFS{}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/demo" {
			http.Redirect(w, r, "/demo/", http.StatusMovedPermanently)
			return
		}
		h := w.Header()
		if ct := contentType(r.URL.Path); ct != "" {
			// Set before the file server, which keeps it: the system's MIME tables
			// may say application/javascript or nothing at all for .js.
			h.Set("Content-Type", ct)
		}
		h.Set("X-Content-Type-Options", "nosniff")
		// The pages carry a token in their address: never send it on in a Referer.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		site.ServeHTTP(w, r)
	})
}

func contentType(p string) string {
	if strings.HasSuffix(p, "/") {
		return "text/html; charset=utf-8" // a directory's index.html
	}
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".png":
		return "image/png"
	case ".svg":
		return "image/svg+xml"
	}
	return ""
}

// demoFS lays the embedded files out as served: lib/ as it is, everything else
// from demo/.
type demoFS struct{}

func (demoFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "lib" || strings.HasPrefix(name, "lib/") {
		return files.Open(name)
	}
	if name == "." {
		return files.Open("demo")
	}
	return files.Open("demo/" + name)
}
