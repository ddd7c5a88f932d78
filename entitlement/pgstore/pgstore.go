package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lmskit/lmskit/entitlement"
)

// Options configures [Open]. The zero value is the default.
type Options struct {
	// Table is the table the ledger lives in; "" means lmskit_ledger. One database can hold
	// several ledgers in several tables.
	Table string
	// MaxRetries bounds the retries of one Update after serialization failures; 0 means 100.
	MaxRetries int
}

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to PostgreSQL (a pgx connection string or URL) and creates the ledger table if it
// does not exist.
func Open(ctx context.Context, conn string, opts *Options) (entitlement.Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Table == "" {
		o.Table = "lmskit_ledger"
	}
	if !tableName.MatchString(o.Table) {
		return nil, fmt.Errorf("pgstore: table name %q: want lower-case letters, digits and _", o.Table)
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 100
	}
	pool, err := pgxpool.New(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	ddl := `CREATE TABLE IF NOT EXISTS ` + o.Table + ` (bucket text NOT NULL, key bytea NOT NULL, val bytea NOT NULL, PRIMARY KEY (bucket, key))`
	if _, err := pool.Exec(ctx, ddl); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: create table %s: %w", o.Table, err)
	}
	h := fnv.New64a()
	h.Write([]byte("lmskit ledger writers " + o.Table))
	s := &store{pool: pool, opts: o, lockKey: int64(h.Sum64())}
	s.qGet = `SELECT val FROM ` + o.Table + ` WHERE bucket = $1 AND key = $2`
	s.qPut = `INSERT INTO ` + o.Table + ` (bucket, key, val) VALUES ($1, $2, $3) ON CONFLICT (bucket, key) DO UPDATE SET val = EXCLUDED.val`
	s.qDel = `DELETE FROM ` + o.Table + ` WHERE bucket = $1 AND key = $2`
	s.qScan = `SELECT key, val FROM ` + o.Table + ` WHERE bucket = $1 AND key >= $2 AND key > $3 ORDER BY key LIMIT $4`
	return s, nil
}

type store struct {
	pool                    *pgxpool.Pool
	opts                    Options
	closed                  atomic.Bool
	qGet, qPut, qDel, qScan string
	lockKey                 int64 // the advisory lock writers of the table queue on
}

// retryable reports a failure that a fresh attempt of the whole transaction may not meet.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

func (s *store) Update(ctx context.Context, fn func(entitlement.Tx) error) error {
	if s.closed.Load() {
		return entitlement.ErrClosed
	}
	var err error
	for i := range s.opts.MaxRetries {
		if i > 0 {
			// Back off up to 1 ms, doubling to 64 ms, randomised, before the next attempt.
			d := 1 + time.Duration(rand.Int64N(int64(time.Millisecond<<min(i-1, 6))))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		if err = ctx.Err(); err != nil {
			return err
		}
		err = s.write(ctx, fn)
		if !retryable(err) {
			return canceled(ctx, err)
		}
	}
	return fmt.Errorf("pgstore: gave up after %d serialization failures: %w", s.opts.MaxRetries, err)
}

// write runs one attempt of a read-write transaction while holding the table's writer lock on its
// connection. The lock is a session lock taken before BEGIN: a lock taken inside the transaction
// would come after its snapshot and so not order it after the previous writer.
func (s *store) write(ctx context.Context, fn func(entitlement.Tx) error) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		if s.closed.Load() {
			return entitlement.ErrClosed
		}
		return fmt.Errorf("pgstore: acquire a connection: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1)", s.lockKey); err != nil {
		return fmt.Errorf("pgstore: writer lock: %w", err)
	}
	defer func() {
		if _, err := c.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", s.lockKey); err != nil {
			// A connection that may still hold the lock must not go back to the pool: closing it
			// ends the session, and with it the lock.
			_ = c.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	return s.runOn(ctx, c.Conn(), pgx.TxOptions{IsoLevel: pgx.Serializable}, true, fn)
}

func (s *store) View(ctx context.Context, fn func(entitlement.Tx) error) error {
	if s.closed.Load() {
		return entitlement.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return canceled(ctx, s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, false, fn))
}

// canceled makes an error that the cancellation of ctx caused say so: pgx reports a query
// interrupted by a canceled context as the connection's own failure (an i/o timeout).
func canceled(ctx context.Context, err error) error {
	if cerr := ctx.Err(); err != nil && cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("pgstore: %w: %w", cerr, err)
	}
	return err
}

func (s *store) run(ctx context.Context, o pgx.TxOptions, writable bool, fn func(entitlement.Tx) error) (err error) {
	ptx, err := s.pool.BeginTx(ctx, o)
	return s.runTx(ctx, ptx, err, writable, fn)
}

func (s *store) runOn(ctx context.Context, c *pgx.Conn, o pgx.TxOptions, writable bool, fn func(entitlement.Tx) error) error {
	ptx, err := c.BeginTx(ctx, o)
	return s.runTx(ctx, ptx, err, writable, fn)
}

func (s *store) runTx(ctx context.Context, ptx pgx.Tx, err error, writable bool, fn func(entitlement.Tx) error) error {
	if err != nil {
		if s.closed.Load() {
			return entitlement.ErrClosed
		}
		return fmt.Errorf("pgstore: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = ptx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	t := &tx{s: s, ctx: ctx, tx: ptx, writable: writable}
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t.done = true
	// Once the function has succeeded and the context was live, the commit runs to its end:
	// canceled half-way it could land on the server while the caller is told it failed.
	if err := ptx.Commit(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	committed = true
	return nil
}

func (s *store) Close() error {
	if !s.closed.Swap(true) {
		s.pool.Close()
	}
	return nil
}

type tx struct {
	s        *store
	ctx      context.Context
	tx       pgx.Tx
	writable bool
	done     bool
	scanning map[string]int
}

func (t *tx) check(bucket, key string, write bool) error {
	if t.done {
		return errors.New("pgstore: transaction used after it ended")
	}
	if write && !t.writable {
		return entitlement.ErrReadOnly
	}
	if write && t.scanning[bucket] > 0 {
		return fmt.Errorf("pgstore: write to bucket %q during its scan", bucket)
	}
	return entitlement.CheckKey(bucket, key)
}

func (t *tx) Get(bucket, key string) ([]byte, bool, error) {
	if err := t.check(bucket, key, false); err != nil {
		return nil, false, err
	}
	var v []byte
	err := t.tx.QueryRow(t.ctx, t.s.qGet, bucket, []byte(key)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("pgstore: get: %w", err)
	}
	return v, true, nil
}

func (t *tx) Put(bucket, key string, val []byte) error {
	if err := t.check(bucket, key, true); err != nil {
		return err
	}
	if val == nil {
		val = []byte{}
	}
	if _, err := t.tx.Exec(t.ctx, t.s.qPut, bucket, []byte(key), val); err != nil {
		return fmt.Errorf("pgstore: put: %w", err)
	}
	return nil
}

func (t *tx) Delete(bucket, key string) error {
	if err := t.check(bucket, key, true); err != nil {
		return err
	}
	if _, err := t.tx.Exec(t.ctx, t.s.qDel, bucket, []byte(key)); err != nil {
		return fmt.Errorf("pgstore: delete: %w", err)
	}
	return nil
}

// scanBatch is how many rows Scan reads per query. Rows are read in batches rather than streamed
// because the callback may run other queries on the same connection.
const scanBatch = 256

func (t *tx) Scan(bucket, prefix string, fn func(string, []byte) (bool, error)) error {
	return t.ScanFrom(bucket, prefix, prefix, fn)
}

// ScanFrom implements entitlement.Tx: the query starts at key >= max(prefix, start), so the
// primary key index seeks there.
func (t *tx) ScanFrom(bucket, prefix, start string, fn func(string, []byte) (bool, error)) error {
	if t.done {
		return errors.New("pgstore: transaction used after it ended")
	}
	if bucket == "" {
		return entitlement.CheckKey(bucket, "k")
	}
	if t.scanning == nil {
		t.scanning = map[string]int{}
	}
	t.scanning[bucket]++
	defer func() { t.scanning[bucket]-- }()
	p := []byte(prefix)
	from := []byte(max(prefix, start))
	after := []byte{} // every key is greater than the empty key
	for {
		rows, err := t.tx.Query(t.ctx, t.s.qScan, bucket, from, after, scanBatch)
		if err != nil {
			return fmt.Errorf("pgstore: scan: %w", err)
		}
		type kv struct{ k, v []byte }
		var batch []kv
		for rows.Next() {
			var e kv
			if err := rows.Scan(&e.k, &e.v); err != nil {
				rows.Close()
				return fmt.Errorf("pgstore: scan: %w", err)
			}
			batch = append(batch, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("pgstore: scan: %w", err)
		}
		for _, e := range batch {
			if !bytes.HasPrefix(e.k, p) {
				return nil
			}
			more, err := fn(string(e.k), e.v)
			if err != nil || !more {
				return err
			}
		}
		if len(batch) < scanBatch {
			return nil
		}
		after = batch[len(batch)-1].k
	}
}
