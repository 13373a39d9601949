package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the built binary with env and stdin, returning its output.
func run(t *testing.T, env []string, stdin string, args ...string) (string, error) {
	t.Helper()
	bin, err := buildLoket()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCLI_UserTokenAndBackup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	data, backups := t.TempDir(), t.TempDir()
	env := []string{"LOKET_DATA=" + data}
	tests := []struct {
		name, stdin string
		args        []string
		ok          bool
		want        string
	}{
		{"migrate", "", []string{"migrate"}, true, "migrations applied"},
		{"add agent", "a long password\n", []string{"user", "add", "--email", "Bo@Example.com", "--name", "Bo", "--role", "supervisor"}, true, "<bo@example.com> (supervisor) created"},
		{"same e-mail again", "a long password\n", []string{"user", "add", "--email", "bo@example.com", "--name", "Bo", "--role", "agent"}, false, "already exists"},
		{"short password", "short\n", []string{"user", "add", "--email", "cy@example.com", "--name", "Cy"}, false, "password is too short"},
		{"common password", "qwerty123456\n", []string{"user", "add", "--email", "cy@example.com", "--name", "Cy"}, false, "common passwords"},
		{"bad role", "a long password\n", []string{"user", "add", "--email", "cy@example.com", "--name", "Cy", "--role", "boss"}, false, "--role must be"},
		{"change password", "another long password\n", []string{"user", "password", "--email", "bo@example.com"}, true, "password of bo@example.com changed"},
		{"token", "", []string{"token", "create", "--name", "shop"}, true, "lkt_"},
		{"backup", "", []string{"backup", filepath.Join(backups, "copy.tar.gz")}, true, "backup written"},
		{"backup refuses to overwrite", "", []string{"backup", filepath.Join(backups, "copy.tar.gz")}, false, "already exists"},
		{"backup wants a .tar.gz", "", []string{"backup", filepath.Join(backups, "copy.db")}, false, "FILE.tar.gz"},
		{"restore refuses a data directory in use", "", []string{"restore", "--from", filepath.Join(backups, "copy.tar.gz")}, false, "is not empty"},
		{"unknown command", "", []string{"frobnicate"}, false, "unknown command"},
	}
	for _, tt := range tests {
		out, err := run(t, env, tt.stdin, tt.args...)
		if (err == nil) != tt.ok || !strings.Contains(out, tt.want) {
			t.Errorf("%s: err %v, output %q; want ok=%v and %q", tt.name, err, out, tt.ok, tt.want)
		}
	}
	// The backup restores to a working desk: a server starts on it and Bo can sign in.
	copyDir := filepath.Join(t.TempDir(), "restored")
	if out, err := run(t, nil, "", "restore", "--from", filepath.Join(backups, "copy.tar.gz"), "--data", copyDir); err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	s := startServer(t, []string{"LOKET_DATA=" + copyDir}, false)
	if out, err := run(t, nil, "", "healthcheck", "--url", s.url+"/healthz"); err != nil {
		t.Fatalf("healthcheck of a running server: %v\n%s", err, out)
	}
	if out, err := run(t, nil, "", "healthcheck", "--url", "http://"+freeAddr(t)+"/healthz"); err == nil {
		t.Fatalf("healthcheck of an address nothing listens on passed:\n%s", out)
	}
	resp, err := http.Post(s.url+"/api/v1/session", "application/json", strings.NewReader(`{"email":"bo@example.com","password":"another long password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sign-in on the restored backup: %d", resp.StatusCode)
	}
}
