// Package pgtest starts one throw-away PostgreSQL server per test binary for
// the tests that need a real one: the history store suite, the monitor's
// replica tests and the binary's two-replica test. It runs the Debian
// postgresql package's initdb and pg_ctl in a temporary folder, on a free
// loopback port with its socket inside that folder, as the unprivileged user
// nobody when the tests run as root (postgres refuses root). Where the
// binaries are absent the tests that ask for a server are skipped.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create databases
)

// Password is the superuser's password, so tests can check that it never
// shows in any output.
const Password = "pgtest-Secret-4711"

var (
	once    sync.Once
	srv     *server
	srvErr  error
	skipMsg string
	dbSeq   atomic.Int64
)

type server struct {
	dir, data, bin string
	port           int
	cred           *syscall.Credential
}

// Main wraps a test binary's m.Run: it stops the server (if a test started
// one) after the tests, so no postgres outlives the binary. Use it from
// TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	Stop()
	return code
}

// Stop stops the server if one was started.
func Stop() {
	if srv == nil {
		return
	}
	cmd := exec.Command(filepath.Join(srv.bin, "pg_ctl"), "-D", srv.data, "-m", "immediate", "-w", "stop")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: srv.cred}
	_ = cmd.Run()
	_ = os.RemoveAll(srv.dir)
	srv = nil
}

// URL returns the URL of a new, empty database on the shared server,
// skipping t when PostgreSQL is not installed.
func URL(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("pgtest: PostgreSQL is not started in -short mode (initdb alone takes seconds)")
	}
	once.Do(start)
	if skipMsg != "" {
		t.Skip(skipMsg)
	}
	if srvErr != nil {
		t.Fatalf("pgtest: %v", srvErr)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	admin, err := sql.Open("pgx", srv.url("postgres"))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return srv.url(name)
}

func (s *server) url(dbname string) string {
	return fmt.Sprintf("postgres://mm:%s@127.0.0.1:%d/%s?sslmode=disable", Password, s.port, dbname)
}

func start() {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		skipMsg = "PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin/initdb); apt-get install postgresql"
		return
	}
	s := &server{bin: filepath.Dir(bins[len(bins)-1])}
	var err error
	if s.dir, err = os.MkdirTemp("", "pgtest-"); err != nil {
		srvErr = err
		return
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			srvErr = fmt.Errorf("running as root needs the user nobody: %w", err)
			return
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(s.dir, uid, gid); err != nil {
			srvErr = err
			return
		}
	}
	s.data = filepath.Join(s.dir, "data")
	pw := filepath.Join(s.dir, "pw")
	if err := os.WriteFile(pw, []byte(Password+"\n"), 0o644); err != nil {
		srvErr = err
		return
	}
	if s.port, err = freePort(); err != nil {
		srvErr = err
		return
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(s.bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
		cmd.Dir = s.dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", name, err, out)
		}
		return nil
	}
	if err := run("initdb", "-D", s.data, "-U", "mm", "--pwfile", pw, "-A", "scram-sha-256", "-E", "UTF8",
		"--no-sync"); err != nil {
		srvErr = err
		return
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off "+
		"-c max_connections=200", s.port, s.dir)
	if err := run("pg_ctl", "-D", s.data, "-o", opts, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		srvErr = err
		return
	}
	srv = s
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", s.url("postgres"))
	if err == nil {
		err = db.PingContext(ctx)
		_ = db.Close()
	}
	srvErr = err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
