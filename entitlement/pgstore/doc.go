// Package pgstore is an entitlement.Store on PostgreSQL, for a license server that runs on more
// than one machine. Open the store with a connection string and build the ledger on it:
//
//	store, err := pgstore.Open(ctx, conn, &pgstore.Options{Table: table}) // Table "" means lmskit_ledger
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	l := entitlement.New(store, cfg) // the ledger on PostgreSQL
//
// conn is a pgx connection string ("host=/run/postgresql dbname=lmskit") or a postgres:// URL, and
// cfg the ledger's entitlement.Config. Every server that opens the same table works on the same
// ledger: the package's Example runs two of them on one table, with a fixed clock.
// The store passes the conformance suite (entitlement/storetest) the embedded stores pass, and
// entitlement.Export and entitlement.Import move a ledger between it and them. It lives in its own
// package so that nothing else pulls in the database driver.
//
// # Transactions
//
// The ledger lives in one table (bucket, key, value) with bytea keys, whose order is the byte
// order the Store contract requires. Read-write transactions run at SERIALIZABLE isolation and are
// retried on serialization failures and deadlocks, which the Store contract allows (a function may
// run more than once); read-only transactions run at REPEATABLE READ, READ ONLY, and see one
// snapshot.
//
// Every ledger operation appends to one audit chain, so any two read-write transactions of one
// ledger conflict: run side by side they would mostly fail serialization and retry. Writers of one
// table therefore queue on a PostgreSQL advisory lock (taken on the connection before the
// transaction begins, so the transaction's snapshot is taken after the previous writer committed),
// from every process and machine that uses the table; read-only transactions never wait for it.
// Retries remain for what the lock cannot rule out, with a short randomised back-off
// (Options.MaxRetries bounds them).
//
// # Security
//
// The connection string may carry the database password: keep it out of logs and command lines
// (a pgpass file or the PGPASSWORD environment variable keep it out of the string). The table
// name goes into the SQL text, so [Open] accepts only lower-case letters, digits and _; keys and
// values always travel as parameters. Whoever can write the table can change the books: grant
// the license servers' database role alone write access to it. The audit chain detects an edited,
// removed or reordered audit record (entitlement.VerifyAudit), and with entitlement.Config.AuditKey
// also resists a writer of the table who lacks the key.
//
// # Compatibility
//
// The table is (bucket text, key bytea, val bytea, primary key (bucket, key)), created by [Open]
// when missing; the values are the ledger's records as it encodes them in every store.
package pgstore
