package store

import (
	"fmt"
	"strings"
)

// Role is which side of the conversation a caller is on.
type Role string

const (
	RoleClient     Role = "client"
	RoleSuperAdmin Role = "superAdmin"
)

// ParseRole accepts the two roles of the contract.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleClient, RoleSuperAdmin:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q", s)
}

// Status is where a ticket is in its life.
type Status string

const (
	StatusPending   Status = "pending"
	StatusProgress  Status = "progress"
	StatusResolved  Status = "resolved"
	StatusCancelled Status = "cancelled"
)

// Statuses lists every status in the order error messages name them.
var Statuses = []Status{StatusPending, StatusProgress, StatusResolved, StatusCancelled}

// ParseStatus accepts a status of the contract.
func ParseStatus(s string) (Status, error) {
	for _, v := range Statuses {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown status %q", s)
}

// Closed reports whether the ticket is resolved or cancelled.
func (s Status) Closed() bool { return s == StatusResolved || s == StatusCancelled }

// Category is what a ticket is about.
type Category string

// Categories lists every category in the order error messages name them.
var Categories = []Category{"billing", "integration", "smartCheck", "smartScan", "smartEnroll", "smartAccess", "other"}

// ParseCategory accepts a category of the contract.
func ParseCategory(s string) (Category, error) {
	for _, v := range Categories {
		if string(v) == s {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown category %q", s)
}

// Sort is a list order: a field and a direction.
type Sort struct {
	Field string // "createdAt", "updatedAt" or "number"
	Desc  bool
}

// DefaultSort is newest first.
var DefaultSort = Sort{Field: "createdAt", Desc: true}

// ParseSort accepts createdAt, updatedAt or number, with an optional + or - in front.
func ParseSort(s string) (Sort, error) {
	var out Sort
	switch {
	case strings.HasPrefix(s, "-"):
		out.Desc, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	switch s {
	case "createdAt", "updatedAt", "number":
		out.Field = s
		return out, nil
	}
	return Sort{}, fmt.Errorf("unknown sort %q", s)
}
