// Package lmc is the License Management Client: the one place on a machine that knows the PBX's key
// code, holds the application licenses bound to it and hands out seats to every application there
// (MA4000 System Management, MA4000 Expense Management, CTI, BCT, UIP). An application dials the
// machine's LMC, checks a feature, takes a seat, keeps it alive while it works and gives it back:
//
//	app, err := lmc.Dial(ctx, "unix", sock) // "/run/lmc/lmc.sock" on a machine
//	if err != nil {
//		return err
//	}
//	defer app.Close()
//
//	ok, err := app.Has(ctx, "390908") // a feature check: MA4000 Version 10 Lic
//	if err != nil {
//		return err
//	}
//	if !ok {
//		return errors.New("MA4000 version 10 is not licensed")
//	}
//
//	lease, err := app.Checkout(ctx, "MA4000", "USER", 1) // one seat; lmc.ErrNoSeats when all are out
//	if err != nil {
//		return err
//	}
//	work, done := context.WithCancel(ctx)
//	defer done()
//	lost := lease.KeepAlive(work) // renews the lease in the background while work lasts
//	// ... the application works; a value on lost means: stop using the seat ...
//	done()
//	if err := <-lost; err != nil { // nil: KeepAlive stopped with work and the lease stands
//		return err
//	}
//	if err := lease.Release(ctx); err != nil { // the seat goes back at once
//		return err
//	}
//
// The package's Example runs it against an LMC serving a file signed with a fixed test key (real
// keys never live in source) on a fixed clock. The sections below say how the LMC process runs,
// where its host code comes from, what an application can rely on, and how the machine's
// administrator manages the LMC.
//
// # The LMC process
//
// Call [Open] with a [Config] naming a directory, a [Source] for the host code and a keyring of the
// vendor's keys. The LMC turns the host code into its LMC code ([LMC.Code]): "LM" + the PBX code for
// SV8300, SV8500, SV9300 and SV9500, "LMIS" + the iS3000 code without "aa" and "AA", or the UIP code
// as it is. That is the hardware key code of the LMC location in the license server; the files
// issued there are bound to it (system "License Manager Client"). [LMC.Install] verifies such a
// file, checks its binding and term, stores it atomically under the directory and restacks;
// [LMC.Files] lists the files and [LMC.Remove] takes one out. Files stack as on a device: counts
// add, the highest version wins, each software key code counts once (the newest file's line), a
// newer file of a serial replaces the older.
//
// Serve the LMC to the applications on the machine with [Listen] and [NewServer], and keep it current
// with [LMC.Run], which asks the source again every minute and re-evaluates the files when a
// fixed-term one starts or ends:
//
//	l, err := lmc.Open(ctx, cfg)
//	if err != nil {
//		return err
//	}
//	ln, err := lmc.Listen("unix", sock) // "/run/lmc/lmc.sock" on a machine
//	if err != nil {
//		return err
//	}
//	go l.Run(ctx) // asks the source again every minute, until ctx ends
//	srv := lmc.NewServer(l)
//	return srv.ServeContext(ctx, ln) // nil after a graceful shutdown
//
// [Server.Serve] serves until [Server.Shutdown] (graceful: stop accepting, answer the requests
// already read, then close) or [Server.Close] (at once); [Server.ServeContext] shuts down gracefully
// when its context is cancelled.
//
// # Sources
//
// [StaticSource] gives a code entered by hand. [PBXSource] asks the PBX, where the firmware mounts
// [PBXHandler]: the LMC posts a fresh 32-byte challenge and the PBX answers with a COSE_Sign1 message,
// signed by its device key with the challenge in the external AAD, whose payload names its system and
// code. The LMC accepts the answer only under the device key it was set up with, so a fake endpoint
// can neither make up a code nor replay one the real PBX gave before. [UIPSource] generates a UIP code
// ("LM" + 28 hex digits with lmskit check digits) once and keeps it in the directory.
//
// A source that can never give an LMC code (a static code of a system without an LMC form, a PBX
// source without its URL or pinned key) makes [Open] fail with [ErrBadSource]; the LMC never serves
// from a silently empty code. When the source cannot be reached the LMC keeps serving from the files
// and the code it remembers, and [LMC.Status] says so (Reachable, SourceError, LastContact). When the
// PBX reports another code than the installed files are bound to (its CPU was replaced), the files
// keep answering Has, Count and Version and the leases already out keep renewing, but new checkouts
// fail with [ErrHostChanged] until files for the new code are installed; Status reports HostChanged
// with both codes.
//
// # Applications
//
// An application uses a [Client]: the [*LMC] itself in process, or the [*Conn] that [Dial] returns,
// with the same methods and the same errors. Has, Count and Version answer feature checks.
// [Client.Checkout] takes seats of a counted part as a [Lease]; [Lease.KeepAlive] renews it in the
// background at about a third of its TTL ([DefaultLeaseTTL], 2 minutes), with jitter, and reports
// its loss on a channel; release it when done. A lease not renewed in time is reclaimed. The lease
// of a failed checkout is nil, and its methods return errors rather than panic.
// When a file is removed or a fixed-term file ends, the newest leases beyond the new count are
// revoked and their holders learn it from [Lease.Renew] ([ErrLeaseRevoked]); after an LMC restart a
// renewal says [ErrLeaseLost] and the application checks out again. The seats out never exceed the
// licensed count, whatever the interleaving. [Client.Usage] says who holds what. A checkout whose
// answer no one receives (the caller gave up, or the server could not write the answer) is released
// at once rather than left to its TTL.
//
// # Administration
//
// [Admin] is what the machine's administrator does, like lmutil's lmstat, lmremove and lmreread:
// list every lease with a non-secret handle ([LMC.Leases]; the bearer lease id is never shown),
// revoke a lease by handle or an application's leases ([LMC.Revoke], [LMC.RevokeApp]; the holders
// learn it at their next renewal), read the license directory again without dropping the leases
// the files there still cover ([LMC.Reread]) and install a file in any form a user holds it
// ([LMC.InstallData], through license.ReadInput). The [*LMC] implements it in process, a [*Conn]
// over the socket: a [Server] lets a connection administer only when it comes over a unix socket
// from the server's own user or root (SO_PEERCRED, on Linux), or over TCP with the admin token
// ([WithAdminToken]), which must differ from the client token. examples/lmcd is the daemon, and
// `lmskit lmc` its command line.
//
// # Wire protocol
//
// Frames of a 4-byte big-endian length and a CBOR map with small integer keys (core deterministic
// encoding; strict decoding: no duplicate or unknown keys, no indefinite lengths). The client's first
// frame is a hello with the protocol version and, if required, the token; then requests carry an id
// and many may be in flight on one connection, whose callers take turns reading the answers.
// Requests are at most 1 KiB; on an administrator's connection, whose install carries a file or a
// zip, at most license.MaxZipSize and 1 KiB. The server reads each connection in its own goroutine, waits for a
// request at most the idle timeout ([WithIdleTimeout]), and gives each request the request timeout
// ([WithRequestTimeout]) to arrive whole, to be worked on and for its answer to be written; a slow
// or hostile client loses only its own connection, and one that connects and says nothing gives its
// place up when the server is full. Errors cross the socket as codes that map back to the sentinels
// of this package.
//
// # Security
//
// A unix socket is protected by its file mode ([Listen] makes it 0600; a daemon may open it to a
// group of application users), and its administrator's operations by the peer's credentials;
// loopback TCP is served only with a token, compared in constant time, and never on other
// addresses, and its administrator's operations need the distinct admin token. A lease handle is
// not a secret: it names a lease to the administrator and cannot renew or release it. A lease id is
// a random 128-bit bearer value. The LMC holds no secret: it trusts the vendor keys in its keyring
// for files and the PBX's public device key for the host code. While the PBX is unreachable it relies
// on the codes remembered in its directory, so whoever can write that directory can change what it
// serves offline; keep it owned by the LMC's user.
//
// # Compatibility
//
// The LMC speaks versions 1 and 2 of the wire protocol: version 2 adds the administrator's
// operations and the file list. A server answers clients of either version, and a version 2 client
// that meets a version 1 server says hello again with version 1 and uses only its operations. The
// directory holds licenses/<serial>.lic (the signed files as issued), host (the last host code and
// the bound LMC code, one "<system>:<code>" per line) and uip-code; later versions read them as they
// are.
//
// # Performance
//
// BENCHMARKS.md beside this file records the runs: each figure stands beside its floor measured in
// the same run, on two cores shared with other jobs. In process,
//
//	go test -run '^$' -bench 'Has|^BenchmarkCheckoutRelease$' -benchtime=0.5s ./license/lmc/
//
// measured Has at 11.6 to 16.1 ns with no allocation, beside 14.3 to 16.1 ns for its floor (an atomic
// pointer load and a lookup in a 50-entry map), and a checkout and release at 857 to 974 ns. Over a
// unix socket with 8 applications,
//
//	go test -c -o lmc.test ./license/lmc/
//	./lmc.test -test.run '^$' -test.bench '^BenchmarkSocket(CheckoutRelease|EchoFloor)$' -test.benchtime=1s
//
// measured a checkout+release pair at 19.8 to 21.0 µs of CPU (clients and server; 8 runs, median
// 20.3) and 5 allocations, beside 15.2 to 17.0 µs (median 16.0) for a bare 40-byte echo making the
// same system calls; the pair's p99 was 1.11 to 2.40 times the echo's (median 1.40). With
//
//	./lmc.test -test.run '^$' -test.bench 'Reread|KeepAlive' -test.benchtime=1s
//
// a lease kept alive with KeepAlive cost 11.3 to 14.0 µs of CPU a minute, and a reread of the
// license directory with 1,000 leases out cost 1.12 times reading and verifying its files (the first
// run; the loaded rounds after it scatter both ways).
package lmc
