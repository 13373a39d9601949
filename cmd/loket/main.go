// Command loket runs Loket, the omnichannel customer-service desk: its
// server and its operations (migrations, users, tokens, backups,
// benchmarks, in internal/bench). Each other subcommand is one function below.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"loket.dev/loket/internal/bench"
	"loket.dev/loket/internal/domain"
	"loket.dev/loket/internal/secret"
	"loket.dev/loket/internal/store"
)

const usage = `Loket — one desk for every customer channel.

Usage:
  loket serve                     start the server (default)
  loket migrate                   apply database migrations
  loket user add --email E --name N --role admin|supervisor|agent   (password from stdin)
  loket user password --email E   set a password (from stdin)
  loket token create --name N [--role R] [--scope events]           print a new API token
  loket backup FILE.tar.gz        online backup: database, secret key, attachments
  loket restore --from FILE.tar.gz --data DIR   restore a backup into an empty data directory
  loket healthcheck [--url U]     exit 0 when the server's /healthz answers 200 (for containers)
  loket bench ingest|seed|inbox   measure performance (see docs/benchmarks.md)

Run "loket COMMAND -h" for the flags of a command. Every flag can also be
set by the environment variable named in its help.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args)
	case "migrate":
		err = migrate(ctx, args)
	case "user":
		err = user(ctx, args)
	case "token":
		err = token(ctx, args)
	case "backup":
		err = backupCommand(ctx, args)
	case "restore":
		err = restoreCommand(ctx, args)
	case "healthcheck":
		err = healthcheck(ctx, args)
	case "bench":
		err = bench.Run(ctx, args, storeFlags)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		err = fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loket:", err)
		os.Exit(1)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// openStore opens and migrates the database with the secret key loaded.
func openStore(ctx context.Context, c *config) (*store.Store, error) {
	st, err := store.Open(ctx, c.DatabaseURL, c.Data)
	if err != nil {
		return nil, err
	}
	key, err := secret.LoadKey(c.SecretKey, c.Data)
	if err != nil {
		st.Close()
		return nil, err
	}
	box, err := secret.NewBox(key)
	if err != nil {
		st.Close()
		return nil, err
	}
	st.SetSecretBox(box)
	if err := st.UseDirect(ctx, c.DirectURL); err != nil {
		st.Close()
		return nil, err
	}
	if c.poolSize, err = st.SizePool(ctx, c.Nodes, c.Pool); err != nil {
		st.Close()
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// storeFlags registers the database flags on fs and returns what opens
// that database, for the benchmarks that work on it.
func storeFlags(fs *flag.FlagSet) func(context.Context) (*store.Store, error) {
	var c config
	c.bindStore(fs)
	return func(ctx context.Context) (*store.Store, error) { return openStore(ctx, &c) }
}

func migrate(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	c.bindStore(fs)
	fs.Parse(args)
	st, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Println("migrations applied")
	return nil
}

// readSecret reads one line from stdin, the way passwords are given.
func readSecret(prompt string) (string, error) {
	if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		fmt.Fprint(os.Stderr, prompt)
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func user(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "password") {
		return errors.New("use: loket user add --email E --name N --role R, or loket user password --email E")
	}
	sub := args[0]
	var c config
	var email, name, role string
	fs := flag.NewFlagSet("user "+sub, flag.ExitOnError)
	c.bindStore(fs)
	fs.StringVar(&email, "email", "", "the agent's e-mail address")
	if sub == "add" {
		fs.StringVar(&name, "name", "", "the agent's name")
		fs.StringVar(&role, "role", "agent", "admin, supervisor or agent")
	}
	fs.Parse(args[1:])
	email, err := domain.NormalizeEmail(email)
	if err != nil {
		return err
	}
	if sub == "add" && (strings.TrimSpace(name) == "" || !domain.Role(role).Valid()) {
		return errors.New("--name is required and --role must be admin, supervisor or agent")
	}
	pw, err := readSecret("Password: ")
	if err != nil {
		return err
	}
	if err := secret.CheckPasswordPolicy(pw, email, name); err != nil {
		return err
	}
	hash, err := secret.HashPassword(pw)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer st.Close()
	if sub == "password" {
		a, _, err := st.AgentLogin(ctx, email)
		if err != nil {
			return err
		}
		if err := st.UpdateAgent(ctx, a, hash); err != nil {
			return err
		}
		fmt.Printf("password of %s changed\n", email)
		return st.Audit(ctx, "cli", "agent.password", email, "")
	}
	a := &domain.Agent{Email: email, Name: strings.TrimSpace(name), Role: domain.Role(role)}
	if err := st.CreateAgent(ctx, a, hash); err != nil {
		return err
	}
	fmt.Printf("agent %d %s <%s> (%s) created\n", a.ID, a.Name, a.Email, a.Role)
	return st.Audit(ctx, "cli", "agent.create", email, role)
}

func token(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("use: loket token create --name N [--role admin|supervisor|agent] [--scope events]")
	}
	var c config
	var name, role, scope string
	fs := flag.NewFlagSet("token create", flag.ExitOnError)
	c.bindStore(fs)
	fs.StringVar(&name, "name", "", "what the token is for, such as the system that uses it")
	fs.StringVar(&role, "role", "admin", "the role the token acts with")
	fs.StringVar(&scope, "scope", "", "limit the token to one use: events (it may only post events, as a web shop does)")
	fs.Parse(args[1:])
	if strings.TrimSpace(name) == "" || !domain.Role(role).Valid() {
		return errors.New("--name is required and --role must be admin, supervisor or agent")
	}
	if scope != "" && scope != store.ScopeEvents {
		return errors.New("--scope must be events, or left out")
	}
	st, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer st.Close()
	tok := secret.Token("lkt")
	t := &store.APIToken{Name: strings.TrimSpace(name), Role: domain.Role(role), Scope: scope}
	if err := st.CreateAPIToken(ctx, t, secret.Hash(tok)); err != nil {
		return err
	}
	if err := st.Audit(ctx, "cli", "token.create", t.Name, strings.TrimSpace(role+" "+scope)); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "token %q created; it is shown only now:\n", t.Name)
	fmt.Println(tok)
	return nil
}

// healthcheck asks a running server's /healthz, for a container's
// HEALTHCHECK where no curl is installed.
func healthcheck(ctx context.Context, args []string) error {
	var c config
	var url string
	fs := flag.NewFlagSet("healthcheck", flag.ExitOnError)
	fs.StringVar(&c.Addr, "addr", env("LOKET_ADDR", ":8080"), "the address the server listens on (LOKET_ADDR)")
	fs.StringVar(&url, "url", "", "the health URL to ask; default http://localhost:PORT/healthz from --addr")
	fs.Parse(args)
	if url == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return fmt.Errorf("LOKET_ADDR %q: %w", c.Addr, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		url = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health: %s answered %s", url, resp.Status)
	}
	return nil
}
