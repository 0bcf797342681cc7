package clientjs

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

func TestDemoServesPagesAndModule(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/demo", Demo())
	mux.Handle("/demo/", Demo())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	tests := []struct {
		method, path string
		status       int
		contentType  string
		contains     string
	}{
		{"GET", "/demo/", 200, "text/html; charset=utf-8", "supportd demo"},
		{"GET", "/demo/index.html", 301, "", ""}, // the file server's canonical redirect to /demo/
		{"GET", "/demo/widget.html", 200, "text/html; charset=utf-8", `src="widget.js"`},
		{"GET", "/demo/console.html", 200, "text/html; charset=utf-8", `src="console.js"`},
		{"GET", "/demo/widget.js", 200, "text/javascript; charset=utf-8", "./common.js"},
		{"GET", "/demo/demo.css", 200, "text/css; charset=utf-8", ":root"},
		{"GET", "/demo/lib/supportd-client.js", 200, "text/javascript; charset=utf-8", "export function createClient"},
		{"GET", "/demo/lib/connection.js", 200, "text/javascript; charset=utf-8", "export class Connection"},
		{"HEAD", "/demo/lib/supportd-client.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/demo", 301, "", ""},
		{"GET", "/demo/nope.js", 404, "", ""},
		{"POST", "/demo/widget.html", 405, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status: got %d, want %d (%s)", res.StatusCode, tt.status, body)
			}
			if tt.contentType != "" && res.Header.Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type: got %q, want %q", res.Header.Get("Content-Type"), tt.contentType)
			}
			if !strings.Contains(string(body), tt.contains) {
				t.Errorf("body does not contain %q", tt.contains)
			}
			if tt.status == 200 && res.Header.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("Referrer-Policy: got %q, want no-referrer", res.Header.Get("Referrer-Policy"))
			}
			if tt.path == "/demo" && res.Header.Get("Location") != "/demo/" {
				t.Errorf("Location: got %q, want /demo/", res.Header.Get("Location"))
			}
		})
	}
}

func TestDemoServesNothingElse(t *testing.T) {
	for _, p := range []string{"/demo/../embed.go", "/demo/embed.go", "/demo/demo/widget.html", "/demo/%2e%2e/embed.go"} {
		rec := httptest.NewRecorder()
		Demo().ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: got %d, want 404", p, rec.Code)
		}
	}
}

// TestDemoRelativeReferencesResolve checks that every relative import, script, style
// and link of the pages names a file the handler serves.
func TestDemoRelativeReferencesResolve(t *testing.T) {
	ref := regexp.MustCompile(`(?:from\s+|import\s+|src=|href=)["'](\./[^"'?#]+|[a-z][\w.-]*\.(?:js|css|html))["']`)
	site := demoFS{}
	found := 0
	check := func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(site, p)
		if err != nil {
			return err
		}
		for _, m := range ref.FindAllStringSubmatch(string(b), -1) {
			found++
			target := path.Join(path.Dir(p), m[1])
			if _, err := fs.Stat(site, target); err != nil {
				t.Errorf("%s refers to %s, which is not served: %v", p, m[1], err)
			}
		}
		return nil
	}
	for _, root := range []string{".", "lib"} {
		if err := fs.WalkDir(site, root, check); err != nil {
			t.Fatal(err)
		}
	}
	if found < 10 {
		t.Errorf("found %d references; the pattern no longer matches the pages", found)
	}
	for _, lib := range []string{"lib/supportd-client.js", "lib/connection.js"} {
		if _, err := fs.Stat(site, lib); err != nil {
			t.Errorf("%s is not served: %v", lib, err)
		}
	}
}

// TestDemoUnderChiMount serves Demo() the way supportd's router mounts it.
func TestDemoUnderChiMount(t *testing.T) {
	r := chi.NewRouter()
	r.Mount("/demo", Demo())
	for _, tt := range []struct {
		path   string
		status int
	}{
		{"/demo", http.StatusMovedPermanently},
		{"/demo/", http.StatusOK},
		{"/demo/console.html", http.StatusOK},
		{"/demo/lib/connection.js", http.StatusOK},
		{"/demo/missing.html", http.StatusNotFound},
	} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("GET %s: got %d, want %d", tt.path, rec.Code, tt.status)
		}
	}
}
