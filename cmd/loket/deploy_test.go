package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var loketVar = regexp.MustCompile(`\bLOKET_[A-Z0-9_]+`)

// knownVariables are the environment variables the binary reads: each
// flag's help names its variable.
func knownVariables(t *testing.T) map[string]bool {
	t.Helper()
	var c config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.bindServe(fs)
	known := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		for _, v := range loketVar.FindAllString(f.Usage, -1) {
			known[v] = true
		}
	})
	if len(known) < 20 {
		t.Fatalf("only %d variables found in the flags' help: %v", len(known), known)
	}
	return known
}

// TestDeploy_FilesNameOnlyVariablesTheBinaryReads keeps the Dockerfile,
// the compose file, the systemd unit and its environment file from
// drifting from the code: a renamed or misspelt LOKET_ variable fails here.
func TestDeploy_FilesNameOnlyVariablesTheBinaryReads(t *testing.T) {
	known := knownVariables(t)
	files, _ := filepath.Glob("../../deploy/*")
	files = append(files, "../../Dockerfile")
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range loketVar.FindAllString(string(b), -1) {
			checked++
			if !known[v] {
				t.Errorf("%s names %s, which Loket does not read", f, v)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("only %d variables found in %v", checked, files)
	}
}

// TestDeploy_ReadmeTableListsEveryVariable checks that the configuration
// table in README.md has a row for each variable the binary reads.
func TestDeploy_ReadmeTableListsEveryVariable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for v := range knownVariables(t) {
		if !strings.Contains(string(b), "| `"+v+"` |") {
			missing = append(missing, v)
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Fatalf("README.md's configuration table has no row for %v", missing)
	}
}
