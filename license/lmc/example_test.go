package lmc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/license/lmc"
	"github.com/lmskit/lmskit/signing"
)

// exampleVendor is a fixed test key. Real vendor keys never live in source: the LMC holds only the
// vendor's public keys, and the license server holds the private one.
func exampleVendor() (*signing.PrivateKey, *signing.Keyring) {
	key, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{1}, signing.SeedSize))
	if err != nil {
		panic(err)
	}
	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		panic(err)
	}
	return key, kr
}

// exampleClock is a fixed clock, so the example's output never changes.
func exampleClock() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }

// exampleFile is what the license server issues for the LMC location of an SV8500: MA4000 version 10
// and five user seats that MA4000 and BCT share.
func exampleFile(vendor *signing.PrivateKey, code keycode.Code) []byte {
	f := &license.File{
		Serial: "LMC-0001",
		Issued: exampleClock().Add(-time.Hour),
		Term:   license.Permanent,
		Host:   license.Host{System: keycode.LMC, Code: code},
		Lines: []license.Line{
			{Part: "390908", Name: "MA4000 Version 10 Lic", Kind: license.Version, Qty: 10},
			{Part: "USER", Name: "application user seat", Kind: license.Count, Qty: 5},
		},
	}
	signed, err := f.Sign(vendor)
	if err != nil {
		panic(err)
	}
	return signed
}

// exampleLMC opens an SV8500's LMC in a new directory with the example file installed; clock nil
// means the wall clock. Remove the directory when done.
func exampleLMC(clock func() time.Time) (*lmc.LMC, *signing.PrivateKey, string) {
	vendor, kr := exampleVendor()
	dir, _ := os.MkdirTemp("", "lmc-example")
	pbx := keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")
	l, err := lmc.Open(context.Background(), lmc.Config{Dir: dir, Source: lmc.StaticSource(pbx), Keyring: kr, Clock: clock})
	if err != nil {
		panic(err)
	}
	if _, err := l.Install(exampleFile(vendor, l.Code())); err != nil {
		panic(err)
	}
	return l, vendor, dir
}

// An LMC on an SV8500: it binds to the LM form of the PBX's code, installs the application file and
// hands out the shared seats.
func Example() {
	ctx := context.Background()
	vendor, kr := exampleVendor()
	dir, _ := os.MkdirTemp("", "lmc-example")
	defer os.RemoveAll(dir)

	pbx := keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")
	l, err := lmc.Open(ctx, lmc.Config{Dir: dir, Source: lmc.StaticSource(pbx), Keyring: kr, Clock: exampleClock})
	if err != nil {
		panic(err)
	}
	fmt.Println("enter in the license server:", l.Code())

	if _, err := l.Install(exampleFile(vendor, l.Code())); err != nil {
		panic(err)
	}
	v, _ := l.Version(ctx, "390908")
	fmt.Println("MA4000 version:", v)

	ma, _ := l.Checkout(ctx, "MA4000", "USER", 3)
	l.Checkout(ctx, "BCT", "USER", 2)
	_, err = l.Checkout(ctx, "BCT", "USER", 1)
	fmt.Println("sixth seat refused:", errors.Is(err, lmc.ErrNoSeats))
	ma.Release(ctx)
	u, _ := l.Usage(ctx, "USER")
	fmt.Printf("%d of %d seats out: %+v\n", u.InUse, u.Count, u.Holders)
	// Output:
	// enter in the license server: LM22CC538207AFD058020640CD57xO
	// MA4000 version: 10
	// sixth seat refused: true
	// 2 of 5 seats out: [{App:BCT Seats:2 Leases:1}]
}

// One LMC serves every application on the machine over a unix socket; each application dials it and
// uses the same methods as in process.
func ExampleDial() {
	ctx := context.Background()
	vendor, kr := exampleVendor()
	dir, _ := os.MkdirTemp("", "lmc-example")
	defer os.RemoveAll(dir)
	pbx := keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")
	l, _ := lmc.Open(ctx, lmc.Config{Dir: dir, Source: lmc.StaticSource(pbx), Keyring: kr, Clock: exampleClock})
	l.Install(exampleFile(vendor, l.Code()))

	sock := filepath.Join(dir, "lmc.sock")
	ln, err := lmc.Listen("unix", sock)
	if err != nil {
		panic(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- lmc.NewServer(l).ServeContext(sctx, ln) }()

	var app lmc.Client
	conn, err := lmc.Dial(ctx, "unix", sock)
	if err != nil {
		panic(err)
	}
	app = conn
	lease, err := app.Checkout(ctx, "BCT", "USER", 2)
	if err != nil {
		panic(err)
	}
	fmt.Println("BCT holds", lease.Seats(), "seats until", lease.Expires().UTC().Format(time.TimeOnly))
	fmt.Println("renew:", lease.Renew(ctx))
	fmt.Println("release:", lease.Release(ctx))
	conn.Close()
	stop()
	fmt.Println("server:", <-done)
	// Output:
	// BCT holds 2 seats until 09:02:00
	// renew: <nil>
	// release: <nil>
	// server: <nil>
}

// Serve answers until Shutdown, which lets the requests in progress finish; Serve then returns an
// error matching ErrClosed. ServeContext does the same when its context is cancelled.
func ExampleServer_Shutdown() {
	ctx := context.Background()
	vendor, kr := exampleVendor()
	dir, _ := os.MkdirTemp("", "lmc-example")
	defer os.RemoveAll(dir)
	pbx := keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")
	l, _ := lmc.Open(ctx, lmc.Config{Dir: dir, Source: lmc.StaticSource(pbx), Keyring: kr, Clock: exampleClock})
	l.Install(exampleFile(vendor, l.Code()))

	ln, err := lmc.Listen("unix", filepath.Join(dir, "lmc.sock"))
	if err != nil {
		panic(err)
	}
	srv := lmc.NewServer(l, lmc.WithRequestTimeout(2*time.Second))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	app, err := lmc.Dial(ctx, "unix", filepath.Join(dir, "lmc.sock"))
	if err != nil {
		panic(err)
	}
	defer app.Close()
	n, _ := app.Count(ctx, "USER")
	fmt.Println("USER seats:", n)

	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	fmt.Println("shutdown:", srv.Shutdown(sctx))
	fmt.Println("Serve returned ErrClosed:", errors.Is(<-served, lmc.ErrClosed))
	// Output:
	// USER seats: 5
	// shutdown: <nil>
	// Serve returned ErrClosed: true
}

// movingSource is a Source whose code the example changes, as a PBX's does when its CPU is replaced.
type movingSource struct{ code keycode.Code }

// HostCode implements lmc.Source.
func (s *movingSource) HostCode(context.Context) (keycode.Code, error) { return s.code, nil }

// When the PBX reports another key code than the files are bound to, the LMC keeps answering feature
// checks from the files it has but refuses new checkouts until files for the new code are installed.
func Example_hostChanged() {
	ctx := context.Background()
	vendor, kr := exampleVendor()
	dir, _ := os.MkdirTemp("", "lmc-example")
	defer os.RemoveAll(dir)
	src := &movingSource{code: keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")}
	l, _ := lmc.Open(ctx, lmc.Config{Dir: dir, Source: src, Keyring: kr, Clock: exampleClock})
	l.Install(exampleFile(vendor, l.Code()))

	src.code = keycode.MustParse(keycode.SV8500, "22E76E11299790CBCA0724859BI4") // the new CPU
	l.Refresh(ctx)
	st, _ := l.Status(ctx)
	fmt.Println("host changed:", st.HostChanged, "- files bound to", st.Bound)
	has, _ := l.Has(ctx, "390908")
	fmt.Println("MA4000 still licensed:", has)
	_, err := l.Checkout(ctx, "BCT", "USER", 1)
	fmt.Println("checkout refused:", errors.Is(err, lmc.ErrHostChanged))

	if _, err := l.Install(exampleFile(vendor, l.Code())); err != nil { // issued for the new code
		panic(err)
	}
	_, err = l.Checkout(ctx, "BCT", "USER", 1)
	fmt.Println("after installing files for", l.Code(), "checkout:", err)
	// Output:
	// host changed: true - files bound to LM22CC538207AFD058020640CD57xO
	// MA4000 still licensed: true
	// checkout refused: true
	// after installing files for LM22E76E11299790CBCA0724859BI4 checkout: <nil>
}

// The administrator copies a file into the license directory and makes the LMC read it again
// (lmreread): the seats out stay out, the count grows; then lists the leases by handle (lmstat) and
// revokes one (lmremove), whose holder learns it at its next renewal.
func ExampleLMC_Reread() {
	ctx := context.Background()
	l, vendor, dir := exampleLMC(exampleClock)
	defer os.RemoveAll(dir)
	ma, _ := l.Checkout(ctx, "MA4000", "USER", 5)

	more := &license.File{Serial: "LMC-0002", Issued: exampleClock().Add(-time.Hour), Term: license.Permanent,
		Host:  license.Host{System: keycode.LMC, Code: l.Code()},
		Lines: []license.Line{{Part: "USER", Kind: license.Count, Qty: 3}}}
	signed, _ := more.Sign(vendor)
	os.WriteFile(filepath.Join(dir, "licenses", "LMC-0002.lic"), signed, 0o600)
	res, _ := l.Reread(ctx)
	n, _ := l.Count(ctx, "USER")
	fmt.Printf("reread: added %v, %d leases revoked; USER count %d\n", res.Added, res.Revoked, n)

	leases, _ := l.Leases(ctx)
	for _, li := range leases {
		fmt.Printf("handle %s: %s holds %d of %d %s seats\n", li.Handle, li.App, li.Seats, li.Count, li.Part)
	}
	l.Revoke(ctx, leases[0].Handle)
	fmt.Println("the holder learns it:", errors.Is(ma.Renew(ctx), lmc.ErrLeaseRevoked))
	// Output:
	// reread: added [LMC-0002], 0 leases revoked; USER count 8
	// handle 1: MA4000 holds 5 of 8 USER seats
	// the holder learns it: true
}

// An application keeps its seats with KeepAlive instead of a renewal loop of its own, and stops it
// with its context when it is done; a loss (a revocation, the LMC gone for longer than the TTL)
// would arrive on the channel.
func ExampleLease_KeepAlive() {
	ctx := context.Background()
	l, _, dir := exampleLMC(nil)
	defer os.RemoveAll(dir)

	lease, err := l.Checkout(ctx, "CTI", "USER", 1)
	if err != nil {
		panic(err)
	}
	work, stop := context.WithCancel(ctx)
	lost := lease.KeepAlive(work)
	// ... the application works; a value on lost means it must stop using the seat ...
	stop()
	fmt.Println("kept alive until stopped:", <-lost == nil)
	fmt.Println("release:", lease.Release(ctx))

	var failed *lmc.Lease // what a failed checkout returns
	fmt.Println("nil lease:", failed.Release(ctx) != nil)
	// Output:
	// kept alive until stopped: true
	// release: <nil>
	// nil lease: true
}
