package api

import (
	"sort"

	"github.com/supportd/supportd/store"
)

// RouteTable lists the authenticated routes as "METHOD /path", for the OpenAPI test.
func (s *Server) RouteTable() []string {
	var out []string
	for path, methods := range s.restRoutes() {
		for m := range methods {
			out = append(out, m+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// HTTPStatus is the status table, for the tests' check of every error answer.
func HTTPStatus(c store.Code) int { return httpStatus(c) }
