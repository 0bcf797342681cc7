package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/supportd/supportd/store"
)

// MaxBodyBytes bounds every request body (the contract's 1 MiB).
const MaxBodyBytes = 1 << 20

// object is a decoded JSON object whose fields are read one by one, so that each
// bad field gets the contract's message ("title is required", "title must be …").
type object map[string]json.RawMessage

// readBody reads the whole body within MaxBodyBytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, store.Errorf(store.CodePayloadTooLarge, "Request body must be at most %d bytes", MaxBodyBytes)
	case err != nil:
		return nil, badRequest("Could not read the request body")
	}
	return b, nil
}

// parseObject decodes b as one JSON object; anything after it is malformed JSON.
func parseObject(b []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	var o object
	var typeErr *json.UnmarshalTypeError
	if err := dec.Decode(&o); errors.As(err, &typeErr) {
		return nil, badRequest("Request body must be a JSON object")
	} else if err != nil {
		return nil, badRequest("Malformed JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("Malformed JSON")
	}
	if o == nil {
		return nil, badRequest("Request body must be a JSON object")
	}
	return o, nil
}

// given reports whether the field is present, even as null.
func (o object) given(name string) bool { _, ok := o[name]; return ok }

// null reports whether the field is absent or null.
func (o object) null(name string) bool {
	raw, ok := o[name]
	return !ok || string(raw) == "null"
}

// text reads a string field. An absent, null, empty or all-blank value is missing:
// nil, or "<name> is required" when required.
func (o object) text(name string, max int, required bool) (*string, error) {
	return text(o[name], name, max, required)
}

func text(raw json.RawMessage, name string, max int, required bool) (*string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, missing(name, required)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, badRequest("%s must be a string", name)
	}
	if strings.TrimSpace(s) == "" {
		return nil, missing(name, required)
	}
	if strings.ContainsRune(s, 0) {
		return nil, badRequest("%s must not contain NUL characters", name)
	}
	if utf8.RuneCountInString(s) > max {
		return nil, badRequest("%s must be at most %d characters", name, max)
	}
	return &s, nil
}

func missing(name string, required bool) error {
	if required {
		return badRequest("%s is required", name)
	}
	return nil
}

// oneOf reads a string field that must be one of allowed.
func oneOf[T ~string](o object, name string, allowed []T, required bool) (*T, error) {
	s, err := o.text(name, 1000, required)
	if s == nil || err != nil {
		return nil, err
	}
	for _, v := range allowed {
		if string(v) == *s {
			return &v, nil
		}
	}
	return nil, badRequest("%s must be one of %s", name, joinValues(allowed))
}

func joinValues[T ~string](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}

// id reads an id field.
func (o object) id(name string, required bool) (*store.ID, error) {
	raw := o[name]
	if len(raw) == 0 || string(raw) == "null" {
		return nil, missing(name, required)
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil, badRequest("%s must be an id", name)
	}
	if strings.TrimSpace(s) == "" {
		return nil, missing(name, required)
	}
	v, err := store.ParseID(s)
	if err != nil {
		return nil, badRequest("%s must be an id", name)
	}
	return &v, nil
}

// list reads an array field of at most max items; required means at least one.
func (o object) list(name string, max int, required bool) ([]json.RawMessage, error) {
	return store.ParseList(o[name], name, max, required)
}

// asObject decodes one array item that must be an object.
func asObject(raw json.RawMessage, name string) (object, error) {
	var o object
	if json.Unmarshal(raw, &o) != nil || o == nil {
		return nil, badRequest("%s must be an object", name)
	}
	return o, nil
}

// readObject reads a body that must be one JSON object.
func readObject(w http.ResponseWriter, r *http.Request) (object, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	return parseObject(body)
}

// readIDs reads a body whose one field is a list of 1 to store.MaxIDs ids (bulk delete,
// seen).
func readIDs(w http.ResponseWriter, r *http.Request, field string) ([]store.ID, error) {
	o, err := readObject(w, r)
	if err != nil {
		return nil, err
	}
	return store.ParseIDList(o[field], field, store.MaxIDs, true)
}
