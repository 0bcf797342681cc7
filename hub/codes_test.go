package hub

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/supportd/supportd/api"
)

// TestErrorCodesAreRESTCodes: every code the hub sends, in an error frame or a
// refused upgrade, is one of REST's (api.Code), so a client handles both alike. It
// reads the hub's source, since the codes are literals at their call sites.
func TestErrorCodesAreRESTCodes(t *testing.T) {
	// REST's table gives every code but InternalError a status other than 500.
	known := func(c api.Code) bool { return c == api.CodeInternal || c.Status() != http.StatusInternalServerError }
	files, _ := filepath.Glob("*.go")
	fset, found := token.NewFileSet(), 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, _ := call.Fun.(*ast.Ident)
			arg := -1
			switch {
			case fn != nil && fn.Name == "errorFrame":
				arg = 0
			case fn != nil && fn.Name == "httpError":
				arg = 2
			}
			if arg < 0 || len(call.Args) <= arg {
				return true
			}
			lit, ok := call.Args[arg].(*ast.BasicLit)
			if !ok {
				return true // http.StatusText(code): checked below
			}
			code, _ := strconv.Unquote(lit.Value)
			found++
			if !known(api.Code(code)) {
				t.Errorf("%s: code %q is not one of REST's", fset.Position(lit.Pos()), code)
			}
			return true
		})
	}
	if found < 5 {
		t.Fatalf("found %d codes in the hub's source, want the error frames' and upgrades'", found)
	}
	// The upgrade's other refusals name their status: 429 and 503.
	for _, status := range []string{"Too Many Requests", "Service Unavailable"} {
		if code := api.Code(strings.ReplaceAll(status, " ", "")); !known(code) {
			t.Errorf("status %q gives code %q, not one of REST's", status, code)
		}
	}
}
