package store

import "encoding/json"

// MaxIDs is how many ids one call may name: bulk delete's ids and seen's threadIds,
// over REST or a socket (the contract's 1,000).
const MaxIDs = 1000

// ParseList reads a JSON array field of at most max items; absent, null and empty
// are "<name> is required" when required, else nil. Its messages are the contract's.
func ParseList(raw json.RawMessage, name string, max int, required bool) ([]json.RawMessage, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, missing(name, required)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, Errorf(CodeBadRequest, "%s must be an array", name)
	}
	if len(items) == 0 {
		return nil, missing(name, required)
	}
	if len(items) > max {
		return nil, Errorf(CodeBadRequest, "%s must have at most %d items", name, max)
	}
	return items, nil
}

// ParseIDList reads a JSON array field of at most max ids: the one parse of REST's
// ids, threadIds and attachments and of the socket's seen, so that they answer alike.
func ParseIDList(raw json.RawMessage, name string, max int, required bool) ([]ID, error) {
	items, err := ParseList(raw, name, max, required)
	if err != nil {
		return nil, err
	}
	out := make([]ID, 0, len(items))
	for i, item := range items {
		var s string
		if json.Unmarshal(item, &s) != nil {
			return nil, Errorf(CodeBadRequest, "%s[%d] must be an id", name, i)
		}
		id, err := ParseID(s)
		if err != nil {
			return nil, Errorf(CodeBadRequest, "%s[%d] must be an id", name, i)
		}
		out = append(out, id)
	}
	return out, nil
}

// missing is the answer for an absent field: an error only when it is required.
func missing(name string, required bool) error {
	if required {
		return Errorf(CodeBadRequest, "%s is required", name)
	}
	return nil
}
