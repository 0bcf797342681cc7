package report

import (
	"bytes"
	"fmt"
	"sort"
)

// Failures counts answers that are not 2xx.
func Failures(m map[string]int) int {
	n := 0
	for k, v := range m {
		if len(k) != 3 || k[0] != '2' {
			n += v
		}
	}
	return n
}

// FormatCodes writes answers by code as "200:12 503:1", sorted; "-" for none.
func FormatCodes(m map[string]int) string {
	if len(m) == 0 {
		return "-"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s:%d", k, m[k])
	}
	return b.String()
}
