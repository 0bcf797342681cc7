package api

import "sort"

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
