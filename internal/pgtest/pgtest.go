// Package pgtest starts a private, throw-away PostgreSQL cluster for tests and benchmarks
// (initdb and pg_ctl from PATH, as .ci/run provides them): a temporary directory, a Unix socket
// in it and no TCP listener, removed again by the stop function:
//
//	conn, stop, err := pgtest.Start(pgtest.Options{}) // fsync off; Durable: true for a benchmark of commits
//	if err != nil {
//		return err // in a test: t.Skip without PostgreSQL, unless CI requires it
//	}
//	defer stop() // stops the cluster and removes its files
//	store, err := pgstore.Open(ctx, conn, nil)
//
// The tests that use it skip without PostgreSQL, except in CI, which sets LMSKIT_PG_REQUIRED to
// make them fail instead. Started as root, the cluster runs as the postgres user, since
// PostgreSQL refuses to run as root.
package pgtest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
)

// Options choose how the cluster runs.
type Options struct {
	// Durable keeps PostgreSQL's fsync on (a benchmark of commits); false turns fsync,
	// synchronous_commit and full_page_writes off, for conformance tests that do not test
	// durability.
	Durable bool
	// Port is the socket's port number; 0 means one derived from the process id.
	Port int
}

// Start starts a cluster and returns its connection string and the function that stops it and
// removes its files. Run as root, it runs PostgreSQL as the postgres user (PostgreSQL refuses
// root).
func Start(opts Options) (conn string, stop func(), err error) {
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", nil, err
	}
	pgctl, err := exec.LookPath("pg_ctl")
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "lmskit-pg-")
	if err != nil {
		return "", nil, err
	}
	wrap := func(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("running as root and no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		wrap = func(name string, args ...string) *exec.Cmd {
			return exec.Command(runuser, append([]string{"-u", "postgres", "--", name}, args...)...)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := wrap(initdb, "-D", data, "-U", "postgres", "--auth=trust", "-N").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	port := opts.Port
	if port == 0 {
		port = 40000 + os.Getpid()%20000
	}
	// Another cluster (a parallel test binary) may hold the socket's port: try a few others.
	for try := 0; ; try++ {
		o := fmt.Sprintf("-k %s -p %d -c listen_addresses=''", dir, port)
		if !opts.Durable {
			o += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
		}
		out, err := wrap(pgctl, "start", "-w", "-D", data, "-l", filepath.Join(dir, "log"), "-o", o).CombinedOutput()
		if err == nil {
			break
		}
		if try == 4 {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("pg_ctl start: %v: %s", err, out)
		}
		port = 40000 + (port-40000+997)%20000
	}
	stop = func() {
		_ = wrap(pgctl, "stop", "-D", data, "-m", "immediate").Run()
		os.RemoveAll(dir)
	}
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres", dir, port), stop, nil
}
