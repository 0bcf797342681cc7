module github.com/supportd/supportd/cmd/supportbench

go 1.26.8

require (
	github.com/coder/websocket v1.8.15
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/supportd/supportd v0.0.0
)

// The tool lives in the product's repository and borrows its fault proxy
// (cmd/internal/faultproxy): build it against the tree it sits in.
replace github.com/supportd/supportd => ../..
