// Package enginecmp measures the candidate engines for the ledger's embedded store through the
// entitlement.Store interface, beside the floor F (one 4 KiB write and fdatasync on the same
// disk): bbolt (the earlier default), Pebble v2 (the current default behind entitlement.OpenFile)
// and SQLite in WAL mode through modernc.org/sqlite. It is a module of its own so that the
// losing candidate's driver (and the Go version it requires) stays out of lmskit's go.mod; the
// SQLite store here exists only to be measured. See entitlement/BENCHMARKS.md.
package enginecmp

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/lmskit/lmskit/entitlement"
	_ "modernc.org/sqlite" // the "sqlite" driver
)

// SQLiteStore is an entitlement.Store on SQLite in WAL mode with synchronous=FULL (one fsync of
// the log per commit). Writers go through one connection and one goroutine that groups whatever
// arrived while the previous commit ran into one transaction, each function under its own
// savepoint (a failing one is rolled back alone); Views read from a pool of read connections,
// each in its own read transaction (a WAL snapshot).
type SQLiteStore struct {
	w      *sql.DB
	r      *sql.DB
	reqs   chan *sqlReq
	quit   chan struct{}
	done   chan struct{}
	mu     sync.RWMutex
	closed bool
}

type sqlReq struct {
	ctx context.Context
	fn  func(entitlement.Tx) error
	err chan error
}

// OpenSQLite opens (creating) the SQLite store at path.
func OpenSQLite(path string, noSync bool) (*SQLiteStore, error) {
	syncMode := "FULL"
	if noSync {
		syncMode = "OFF"
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(" + syncMode + ")&_pragma=busy_timeout(10000)&_txlock=immediate"
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	if _, err := w.Exec(`CREATE TABLE IF NOT EXISTS kv (b BLOB NOT NULL, k BLOB NOT NULL, v BLOB NOT NULL, PRIMARY KEY (b, k)) WITHOUT ROWID`); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=query_only(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	s := &SQLiteStore{w: w, r: r, reqs: make(chan *sqlReq, 1024), quit: make(chan struct{}), done: make(chan struct{})}
	go s.commitLoop()
	return s, nil
}

// Update queues fn for the committer and waits for its group to commit.
func (s *SQLiteStore) Update(ctx context.Context, fn func(entitlement.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return entitlement.ErrClosed
	}
	req := &sqlReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	s.reqs <- req
	s.mu.RUnlock()
	return <-req.err
}

func (s *SQLiteStore) commitLoop() {
	defer close(s.done)
	for {
		var group []*sqlReq
		select {
		case r := <-s.reqs:
			group = append(group, r)
		case <-s.quit:
			return
		}
	more:
		for {
			select {
			case r := <-s.reqs:
				group = append(group, r)
			default:
				break more
			}
		}
		s.commit(group)
	}
}

// commit runs one group in one transaction, each function under a savepoint.
func (s *SQLiteStore) commit(group []*sqlReq) {
	ctx := context.Background()
	conn, err := s.w.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	}
	if err != nil {
		for _, r := range group {
			r.err <- err
		}
		if conn != nil {
			conn.Close()
		}
		return
	}
	errs := make([]error, len(group))
	for i, r := range group {
		if _, err := conn.ExecContext(ctx, "SAVEPOINT f"); err != nil {
			errs[i] = err
			continue
		}
		tx := &sqlTx{c: conn, writable: true}
		err := runGuarded(r.fn, tx)
		if err == nil {
			err = r.ctx.Err()
		}
		tx.done = true
		if err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK TO f")
		}
		if _, rerr := conn.ExecContext(ctx, "RELEASE f"); rerr != nil && err == nil {
			err = rerr
		}
		errs[i] = err
	}
	_, cerr := conn.ExecContext(ctx, "COMMIT")
	conn.Close()
	for i, r := range group {
		if cerr != nil && errs[i] == nil {
			errs[i] = cerr
		}
		r.err <- errs[i]
	}
}

func runGuarded(fn func(entitlement.Tx) error, tx entitlement.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("enginecmp: update panicked: %v", p)
		}
	}()
	return fn(tx)
}

// View runs fn in a read transaction on a read connection.
func (s *SQLiteStore) View(ctx context.Context, fn func(entitlement.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return entitlement.ErrClosed
	}
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return err
	}
	tx := &sqlTx{c: conn}
	// Rolled back even when fn panics: the connection goes back to the pool, and one left inside
	// a transaction fails every later View's BEGIN.
	defer func() {
		tx.done = true
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
	}()
	return fn(tx)
}

// Close stops the committer and closes the database.
func (s *SQLiteStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return entitlement.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	for {
		select {
		case r := <-s.reqs:
			r.err <- entitlement.ErrClosed
			continue
		default:
		}
		break
	}
	return errors.Join(s.w.Close(), s.r.Close())
}

type sqlTx struct {
	c        *sql.Conn
	writable bool
	done     bool
	scanning []string
}

func (t *sqlTx) Get(bucket, key string) ([]byte, bool, error) {
	if err := entitlement.CheckKey(bucket, key); err != nil {
		return nil, false, err
	}
	var v []byte
	err := t.c.QueryRowContext(context.Background(), "SELECT v FROM kv WHERE b = ? AND k = ?", []byte(bucket), []byte(key)).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if v == nil {
		v = []byte{}
	}
	return v, err == nil, err
}

func (t *sqlTx) writeCheck(bucket, key string) error {
	if !t.writable {
		return entitlement.ErrReadOnly
	}
	for _, b := range t.scanning {
		if b == bucket {
			return fmt.Errorf("enginecmp: write to bucket %q during its scan", bucket)
		}
	}
	return entitlement.CheckKey(bucket, key)
}

func (t *sqlTx) Put(bucket, key string, val []byte) error {
	if err := t.writeCheck(bucket, key); err != nil {
		return err
	}
	if val == nil {
		val = []byte{}
	}
	_, err := t.c.ExecContext(context.Background(), "INSERT INTO kv (b, k, v) VALUES (?, ?, ?) ON CONFLICT (b, k) DO UPDATE SET v = excluded.v", []byte(bucket), []byte(key), val)
	return err
}

func (t *sqlTx) Delete(bucket, key string) error {
	if err := t.writeCheck(bucket, key); err != nil {
		return err
	}
	_, err := t.c.ExecContext(context.Background(), "DELETE FROM kv WHERE b = ? AND k = ?", []byte(bucket), []byte(key))
	return err
}

func (t *sqlTx) Scan(bucket, prefix string, fn func(string, []byte) (bool, error)) error {
	return t.ScanFrom(bucket, prefix, prefix, fn)
}

// ScanFrom reads the range in pages of 256 rows, so the callback may read (and write other
// buckets) on the same connection without an open statement in between.
func (t *sqlTx) ScanFrom(bucket, prefix, start string, fn func(string, []byte) (bool, error)) error {
	if bucket == "" || len(bucket) > 64 {
		return entitlement.CheckKey(bucket, "k")
	}
	t.scanning = append(t.scanning, bucket)
	defer func() { t.scanning = t.scanning[:len(t.scanning)-1] }()
	from := []byte(max(prefix, start))
	end := prefixEnd([]byte(prefix))
	type kv struct {
		k string
		v []byte
	}
	first := true
	for {
		q := "SELECT k, v FROM kv WHERE b = ? AND k > ?"
		if first {
			q = "SELECT k, v FROM kv WHERE b = ? AND k >= ?"
		}
		args := []any{[]byte(bucket), from}
		if end != nil {
			q += " AND k < ?"
			args = append(args, end)
		}
		rows, err := t.c.QueryContext(context.Background(), q+" ORDER BY k LIMIT 256", args...)
		if err != nil {
			return err
		}
		var page []kv
		for rows.Next() {
			var k, v []byte
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return err
			}
			if v == nil {
				v = []byte{}
			}
			page = append(page, kv{string(k), v})
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, e := range page {
			more, err := fn(e.k, e.v)
			if err != nil || !more {
				return err
			}
		}
		if len(page) < 256 {
			return nil
		}
		from, first = []byte(page[len(page)-1].k), false
	}
}

func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
