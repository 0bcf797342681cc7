package memory

import (
	"testing"

	"github.com/supportd/supportd/store/storetest"
)

func TestWebhookConformance(t *testing.T) {
	storetest.RunWebhooks(t, func(t *testing.T) storetest.WebhookStore { return New() })
}
