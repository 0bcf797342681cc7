package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// composeFile is the part of docker-compose.yml this test reads (anchors and merge
// keys are resolved by the YAML decoder, as compose does).
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Environment map[string]string `yaml:"environment"`
		Healthcheck struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
	} `yaml:"services"`
}

// TestComposeRequiresSecretBuildsOnceAndChecksHealth reads the shipped compose file:
// JWT_SECRET has no default (compose refuses to start without it), every service has
// a healthcheck, and the supportd image is built by one service and reused.
func TestComposeRequiresSecretBuildsOnceAndChecksHealth(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	builds, supportd := 0, 0
	for name, s := range c.Services {
		if len(s.Healthcheck.Test) == 0 {
			t.Errorf("service %s has no healthcheck", name)
		}
		if s.Build != nil {
			builds++
		}
		if !strings.HasPrefix(name, "supportd") {
			continue
		}
		supportd++
		if s.Image != "supportd:local" {
			t.Errorf("%s runs image %q, want supportd:local", name, s.Image)
		}
		if v := s.Environment["JWT_SECRET"]; !strings.HasPrefix(v, "${JWT_SECRET:?") {
			t.Errorf("%s: JWT_SECRET is %q, want ${JWT_SECRET:?…} (no default secret)", name, v)
		}
		if got := strings.Join(s.Healthcheck.Test, " "); got != "CMD /supportd healthcheck" {
			t.Errorf("%s healthcheck is %q, want the binary's own", name, got)
		}
	}
	if supportd != 2 || builds != 1 {
		t.Errorf("%d supportd services and %d builds, want 2 and 1", supportd, builds)
	}
}
