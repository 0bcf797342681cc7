package hub

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestErrorCodesAreRESTCodes: every code the hub sends, in an error frame or a
// refused upgrade, is one of the store's named codes (store.Code*), which REST
// answers with too, so a client handles both alike. A store.Code parameter still
// takes an untyped string literal, so the test reads the hub's source for them.
func TestErrorCodesAreRESTCodes(t *testing.T) {
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
			found++
			if !isStoreCode(call.Args[arg]) {
				t.Errorf("%s: the code is not a store.Code constant", fset.Position(call.Args[arg].Pos()))
			}
			return true
		})
	}
	if found < 5 {
		t.Fatalf("found %d codes in the hub's source, want the error frames' and upgrades'", found)
	}
}

// isStoreCode reports whether e is store.Code<Name>, the Code of a *store.Error, or
// a variable (admit's result, a store.Code by its type).
func isStoreCode(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		pkg, ok := e.X.(*ast.Ident)
		return e.Sel.Name == "Code" || ok && pkg.Name == "store" && strings.HasPrefix(e.Sel.Name, "Code")
	case *ast.Ident:
		return true
	}
	return false
}
