package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"loket.dev/loket/internal/backup"
	"loket.dev/loket/internal/store"
)

// backupCommand writes one .tar.gz while the server keeps running: a consistent
// copy of the database (SQLite's VACUUM INTO, or pg_dump on PostgreSQL),
// the secret key file, and the attachments the copy refers to. With S3
// the bucket is backed up on its own (versioning), so the archive holds
// the database only.
func backupCommand(ctx context.Context, args []string) error {
	var c config
	fs := flag.NewFlagSet("backup", flag.ExitOnError)
	c.bindStore(fs)
	c.bindBlobs(fs)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: loket backup [flags] FILE.tar.gz\n\n")
		fs.PrintDefaults()
	}
	fs.Parse(args)
	if fs.NArg() != 1 || !(strings.HasSuffix(fs.Arg(0), ".tar.gz") || strings.HasSuffix(fs.Arg(0), ".tgz")) {
		return errors.New("use: loket backup [flags] FILE.tar.gz")
	}
	out := fs.Arg(0)
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("backup: %s already exists", out)
	}
	var pgDump string
	if c.DatabaseURL != "" {
		var err error
		if pgDump, err = exec.LookPath("pg_dump"); err != nil {
			return errors.New("backup on PostgreSQL runs pg_dump, which is not installed here: install the PostgreSQL " +
				"client of the server's major version, or run pg_dump -Fc yourself and copy the attachment directory")
		}
	}
	st, err := openStore(ctx, &c)
	if err != nil {
		return err
	}
	defer st.Close()
	blobs, err := openBlobs(ctx, &c)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(filepath.Dir(out), ".loket-backup-")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(work)

	src := backup.Source{Database: string(st.Dialect()), Blobs: blobs}
	var snap *store.Snapshot
	if st.Dialect() == store.SQLite {
		src.DBFile = filepath.Join(work, backup.SQLiteName)
		if snap, err = st.Backup(ctx, src.DBFile); err != nil {
			return err
		}
	} else {
		src.DBFile = filepath.Join(work, backup.PostgresName)
		cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--file="+src.DBFile, "--dbname="+c.directURL())
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pg_dump: %v: %s", err, strings.TrimSpace(string(msg)))
		}
		// Read after the dump: rows added meanwhile only add blobs, and
		// blobs are stored before the rows that name them commit.
		if snap, err = st.Snapshot(ctx); err != nil {
			return err
		}
	}
	src.BlobSHAs, src.Counts = snap.Blobs, snap.Counts
	if c.S3.Bucket != "" {
		src.Blobs = nil
		src.BlobsNote = fmt.Sprintf("attachments are in S3 bucket %s; back the bucket up on its own (versioning)", c.S3.Bucket)
	}
	if c.SecretKey == "" {
		src.SecretKey = filepath.Join(c.Data, backup.SecretKeyName)
	}

	tmp := filepath.Join(work, "archive.tar.gz")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	m, err := backup.Write(ctx, f, src)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Linked, not renamed, so that a file made meanwhile is not replaced;
	// renamed where the file system has no links.
	if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("backup: %s already exists", out)
		}
		if err := os.Rename(tmp, out); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	fmt.Printf("backup written to %s: %s database, %d tickets, %d messages, %d attachment files\n",
		out, m.Database, m.Counts["tickets"], m.Counts["messages"], m.Blobs)
	if m.BlobsNote != "" {
		fmt.Println(m.BlobsNote)
	}
	if src.SecretKey == "" {
		fmt.Println("the secret key comes from LOKET_SECRET_KEY and is not in the backup: keep it with the backup, safely")
	}
	return nil
}

// restoreCommand unpacks a backup into an empty data directory (and, for a
// PostgreSQL backup, into an empty database with pg_restore). Whatever it
// wrote is removed again when it fails.
func restoreCommand(ctx context.Context, args []string) error {
	var c config
	var from string
	fs := flag.NewFlagSet("restore", flag.ExitOnError)
	c.bindStore(fs)
	c.bindBlobs(fs)
	fs.StringVar(&from, "from", "", "the backup file (.tar.gz) to restore")
	fs.Parse(args)
	if from == "" || fs.NArg() != 0 {
		return errors.New("use: loket restore --from FILE.tar.gz --data DIR")
	}
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer in.Close()
	dirs := []string{c.Data}
	if c.S3.Bucket == "" && c.blobDir() != filepath.Join(c.Data, "blobs") {
		dirs = append(dirs, c.blobDir())
	}
	for _, d := range dirs {
		if err := checkEmptyDir(d); err != nil {
			return err
		}
	}
	ok := false
	defer func() {
		if !ok {
			for _, d := range dirs {
				emptyDir(d)
			}
		}
	}()
	if err := os.MkdirAll(c.Data, 0o700); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	blobs, err := openBlobs(ctx, &c)
	if err != nil {
		return err
	}
	m, err := backup.Restore(ctx, in, c.Data, blobs)
	if err != nil {
		return err
	}
	switch m.Database {
	case string(store.SQLite):
		if c.DatabaseURL != "" {
			return errors.New("this backup holds an SQLite database: restore it without LOKET_DATABASE_URL")
		}
		if err := store.CheckSQLite(ctx, filepath.Join(c.Data, backup.SQLiteName)); err != nil {
			return err
		}
	case string(store.Postgres):
		if err := pgRestore(ctx, c.DatabaseURL, filepath.Join(c.Data, backup.PostgresName)); err != nil {
			return err
		}
		os.Remove(filepath.Join(c.Data, backup.PostgresName))
	default:
		return fmt.Errorf("restore: the backup holds a %q database, which this Loket does not know", m.Database)
	}
	ok = true
	fmt.Printf("restored %s backup of %s into %s: %d tickets, %d messages, %d attachment files\n",
		m.Database, m.CreatedAt.Format("2006-01-02 15:04:05 UTC"), c.Data, m.Counts["tickets"], m.Counts["messages"], m.Blobs)
	if m.BlobsNote != "" {
		fmt.Println(m.BlobsNote)
	}
	if !hasFile(m, backup.SecretKeyName) && c.SecretKey == "" {
		fmt.Println("the backup holds no secret key: start Loket with the LOKET_SECRET_KEY it was made with, or channel secrets stay unreadable")
	}
	return nil
}

// pgRestore loads a pg_dump archive into the database at url, which must
// hold no tables yet.
func pgRestore(ctx context.Context, url, dump string) error {
	if url == "" {
		return errors.New("this backup holds a PostgreSQL dump: name the empty database to restore it into with --database-url")
	}
	bin, err := exec.LookPath("pg_restore")
	if err != nil {
		return fmt.Errorf("pg_restore is not installed here: install the PostgreSQL client, or run pg_restore -d URL on %s yourself", dump)
	}
	st, err := store.Open(ctx, url, "")
	if err != nil {
		return err
	}
	n, err := st.CountTables(ctx)
	st.Close()
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("restore: the database already has %d tables; restore into an empty database", n)
	}
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--exit-on-error", "--dbname="+url, dump)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pg_restore: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	return nil
}

func hasFile(m *backup.Manifest, name string) bool {
	for _, f := range m.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}

// checkEmptyDir refuses a directory that holds anything.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("restore: %s is not empty; restore into a new or empty directory", dir)
	}
	return nil
}

// emptyDir removes what a failed restore wrote into dir, which was empty.
func emptyDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}
