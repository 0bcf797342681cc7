package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProjectDocumentsItself fails when a file of the project points at documentation
// outside the repository (a notes directory beside it, which a user's clone does not have).
func TestProjectDocumentsItself(t *testing.T) {
	outside := "shared" + "/" // split so that this file does not match itself
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(p, ".png") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), outside) {
			t.Errorf("%s mentions %s", p, outside)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
