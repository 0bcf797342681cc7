package memory

import (
	"testing"

	"github.com/supportd/supportd/store"
	"github.com/supportd/supportd/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := New()
		t.Cleanup(s.Close)
		return s
	})
}
