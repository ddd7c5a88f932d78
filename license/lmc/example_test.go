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
func exampleVendor() (*signing.PrivateKey, *signing.Keyring, error) {
	key, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{1}, signing.SeedSize))
	if err != nil {
		return nil, nil, err
	}
	kr := signing.NewKeyring()
	if err := kr.Add(key.Public().KeyID().Bytes(), key.Public(), signing.Window{}); err != nil {
		return nil, nil, err
	}
	return key, kr, nil
}

// exampleClock is a fixed clock, so the examples' output never changes.
func exampleClock() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }

// examplePBX is the SV8500 the examples' LMC runs beside (a code from the guide).
var examplePBX = keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")

// exampleFile is what the license server issues for the LMC location of an SV8500: MA4000 version 10
// and five user seats that MA4000 and BCT share.
func exampleFile(vendor *signing.PrivateKey, code keycode.Code) ([]byte, error) {
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
	return f.Sign(vendor)
}

// exampleLMC opens the SV8500's LMC in dir with the example file installed; clock nil means the
// wall clock.
func exampleLMC(ctx context.Context, dir string, clock func() time.Time) (*lmc.LMC, *signing.PrivateKey, error) {
	vendor, kr, err := exampleVendor()
	if err != nil {
		return nil, nil, err
	}
	l, err := lmc.Open(ctx, lmc.Config{Dir: dir, Source: lmc.StaticSource(examplePBX), Keyring: kr, Clock: clock})
	if err != nil {
		return nil, nil, err
	}
	signed, err := exampleFile(vendor, l.Code())
	if err != nil {
		return nil, nil, err
	}
	if _, err := l.Install(signed); err != nil {
		return nil, nil, err
	}
	return l, vendor, nil
}

// withDir runs f in a new temporary directory, removed afterwards, and prints f's error.
func withDir(f func(dir string) error) {
	dir, err := os.MkdirTemp("", "lmc-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := f(dir); err != nil {
		fmt.Println(err)
	}
}

// An application on a machine whose LMC serves an SV8500's application licenses: it dials the LMC,
// checks that MA4000 version 10 is licensed, takes a user seat, keeps it alive while it works and
// gives it back. The package documentation's snippet is the body of runApplication; the LMC runs in
// this process with a fixed test key and a fixed clock (real keys never live in source).
func Example() {
	withDir(func(dir string) error {
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		sock := filepath.Join(dir, "lmc.sock")
		served, err := startLMC(ctx, dir, sock)
		if err != nil {
			return err
		}
		if err := runApplication(ctx, sock); err != nil {
			return err
		}
		stop()
		fmt.Println("LMC stopped:", <-served)
		return nil
	})
	// Output:
	// MA4000 version 10: licensed
	// seats of USER out: 1 of 5
	// seat released
	// LMC stopped: <nil>
}

// runApplication is what an application does with the machine's LMC at sock.
func runApplication(ctx context.Context, sock string) error {
	app, err := lmc.Dial(ctx, "unix", sock) // "/run/lmc/lmc.sock" on a machine
	if err != nil {
		return err
	}
	defer app.Close()

	ok, err := app.Has(ctx, "390908") // a feature check: MA4000 Version 10 Lic
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("MA4000 version 10 is not licensed")
	}
	fmt.Println("MA4000 version 10: licensed")

	lease, err := app.Checkout(ctx, "MA4000", "USER", 1) // one seat; lmc.ErrNoSeats when all are out
	if err != nil {
		return err
	}
	work, done := context.WithCancel(ctx)
	defer done()
	lost := lease.KeepAlive(work) // renews the lease in the background while work lasts

	u, err := app.Usage(ctx, "USER") // the application's work; a value on lost means: stop using the seat
	if err != nil {
		return err
	}
	fmt.Printf("seats of USER out: %d of %d\n", u.InUse, u.Count)

	done()
	if err := <-lost; err != nil { // nil: KeepAlive stopped with work and the lease stands
		return err
	}
	if err := lease.Release(ctx); err != nil { // the seat goes back at once
		return err
	}
	fmt.Println("seat released")
	return nil
}

// startLMC starts the machine's LMC process in the background with the example's license file
// copied into its license directory, and returns once it listens on sock; served receives what
// serveLMC returned.
func startLMC(ctx context.Context, dir, sock string) (served <-chan error, err error) {
	vendor, vendorKeys, err := exampleVendor()
	if err != nil {
		return nil, err
	}
	code, err := examplePBX.LMC()
	if err != nil {
		return nil, err
	}
	signed, err := exampleFile(vendor, code)
	if err != nil {
		return nil, err
	}
	lmcDir := filepath.Join(dir, "lmc")
	if err := os.MkdirAll(filepath.Join(lmcDir, "licenses"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(lmcDir, "licenses", "LMC-0001.lic"), signed, 0o600); err != nil {
		return nil, err
	}

	// The LMC's directory is "/var/lib/lmc" on a machine, its source an lmc.PBXSource or lmc.UIPSource.
	cfg := lmc.Config{Dir: lmcDir, Source: lmc.StaticSource(examplePBX), Keyring: vendorKeys}
	cfg.Clock = exampleClock // fixed for the example; nil means the wall clock
	listening := make(chan struct{})
	ch := make(chan error, 1)
	go func() { ch <- serveLMC(ctx, cfg, sock, listening) }()
	select {
	case <-listening:
		return ch, nil
	case err := <-ch:
		return nil, err
	}
}

// serveLMC is the LMC process (examples/lmcd is a daemon that does this): it opens the LMC, listens
// on sock and serves the machine's applications until ctx ends; it closes listening once the
// applications may dial. The "The LMC process" section of the package documentation shows it.
func serveLMC(ctx context.Context, cfg lmc.Config, sock string, listening chan<- struct{}) error {
	l, err := lmc.Open(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := lmc.Listen("unix", sock) // "/run/lmc/lmc.sock" on a machine
	if err != nil {
		return err
	}
	close(listening)
	go l.Run(ctx) // asks the source again every minute, until ctx ends
	srv := lmc.NewServer(l)
	return srv.ServeContext(ctx, ln) // nil after a graceful shutdown
}

// An LMC in process on an SV8500: it binds to the LM form of the PBX's code, installs the
// application file and hands out the seats that MA4000 and BCT share.
func ExampleOpen() {
	withDir(func(dir string) error {
		ctx := context.Background()
		vendor, kr, err := exampleVendor()
		if err != nil {
			return err
		}
		l, err := lmc.Open(ctx, lmc.Config{Dir: dir, Source: lmc.StaticSource(examplePBX), Keyring: kr, Clock: exampleClock})
		if err != nil {
			return err
		}
		fmt.Println("enter in the license server:", l.Code())

		signed, err := exampleFile(vendor, l.Code())
		if err != nil {
			return err
		}
		if _, err := l.Install(signed); err != nil {
			return err
		}
		v, err := l.Version(ctx, "390908")
		if err != nil {
			return err
		}
		fmt.Println("MA4000 version:", v)

		ma, err := l.Checkout(ctx, "MA4000", "USER", 3)
		if err != nil {
			return err
		}
		if _, err := l.Checkout(ctx, "BCT", "USER", 2); err != nil {
			return err
		}
		_, err = l.Checkout(ctx, "BCT", "USER", 1)
		fmt.Println("sixth seat refused:", errors.Is(err, lmc.ErrNoSeats))
		if err := ma.Release(ctx); err != nil {
			return err
		}
		u, err := l.Usage(ctx, "USER")
		if err != nil {
			return err
		}
		fmt.Printf("%d of %d seats out: %+v\n", u.InUse, u.Count, u.Holders)
		return nil
	})
	// Output:
	// enter in the license server: LM22CC538207AFD058020640CD57xO
	// MA4000 version: 10
	// sixth seat refused: true
	// 2 of 5 seats out: [{App:BCT Seats:2 Leases:1}]
}

// Serve answers until Shutdown, which lets the requests in progress finish; Serve then returns an
// error matching ErrClosed. ServeContext does the same when its context is cancelled.
func ExampleServer_Shutdown() {
	withDir(func(dir string) error {
		ctx := context.Background()
		l, _, err := exampleLMC(ctx, dir, exampleClock)
		if err != nil {
			return err
		}
		ln, err := lmc.Listen("unix", filepath.Join(dir, "lmc.sock"))
		if err != nil {
			return err
		}
		srv := lmc.NewServer(l, lmc.WithRequestTimeout(2*time.Second))
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()

		app, err := lmc.Dial(ctx, "unix", filepath.Join(dir, "lmc.sock"))
		if err != nil {
			return err
		}
		defer app.Close()
		n, err := app.Count(ctx, "USER")
		if err != nil {
			return err
		}
		fmt.Println("USER seats:", n)

		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		fmt.Println("shutdown:", srv.Shutdown(sctx))
		fmt.Println("Serve returned ErrClosed:", errors.Is(<-served, lmc.ErrClosed))
		return nil
	})
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
	withDir(func(dir string) error {
		ctx := context.Background()
		vendor, kr, err := exampleVendor()
		if err != nil {
			return err
		}
		src := &movingSource{code: examplePBX}
		l, err := lmc.Open(ctx, lmc.Config{Dir: dir, Source: src, Keyring: kr, Clock: exampleClock})
		if err != nil {
			return err
		}
		signed, err := exampleFile(vendor, l.Code())
		if err != nil {
			return err
		}
		if _, err := l.Install(signed); err != nil {
			return err
		}

		src.code = keycode.MustParse(keycode.SV8500, "22E76E11299790CBCA0724859BI4") // the new CPU
		if err := l.Refresh(ctx); err != nil {
			return err
		}
		st, err := l.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Println("host changed:", st.HostChanged, "- files bound to", st.Bound)
		has, err := l.Has(ctx, "390908")
		if err != nil {
			return err
		}
		fmt.Println("MA4000 still licensed:", has)
		_, err = l.Checkout(ctx, "BCT", "USER", 1)
		fmt.Println("checkout refused:", errors.Is(err, lmc.ErrHostChanged))

		signed, err = exampleFile(vendor, l.Code()) // issued for the new code
		if err != nil {
			return err
		}
		if _, err := l.Install(signed); err != nil {
			return err
		}
		_, err = l.Checkout(ctx, "BCT", "USER", 1)
		fmt.Println("after installing files for", l.Code(), "checkout:", err)
		return nil
	})
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
	withDir(func(dir string) error {
		ctx := context.Background()
		l, vendor, err := exampleLMC(ctx, dir, exampleClock)
		if err != nil {
			return err
		}
		ma, err := l.Checkout(ctx, "MA4000", "USER", 5)
		if err != nil {
			return err
		}

		more := &license.File{Serial: "LMC-0002", Issued: exampleClock().Add(-time.Hour), Term: license.Permanent,
			Host:  license.Host{System: keycode.LMC, Code: l.Code()},
			Lines: []license.Line{{Part: "USER", Kind: license.Count, Qty: 3}}}
		signed, err := more.Sign(vendor)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "licenses", "LMC-0002.lic"), signed, 0o600); err != nil {
			return err
		}
		res, err := l.Reread(ctx)
		if err != nil {
			return err
		}
		n, err := l.Count(ctx, "USER")
		if err != nil {
			return err
		}
		fmt.Printf("reread: added %v, %d leases revoked; USER count %d\n", res.Added, res.Revoked, n)

		leases, err := l.Leases(ctx)
		if err != nil {
			return err
		}
		for _, li := range leases {
			fmt.Printf("handle %s: %s holds %d of %d %s seats\n", li.Handle, li.App, li.Seats, li.Count, li.Part)
		}
		if err := l.Revoke(ctx, leases[0].Handle); err != nil {
			return err
		}
		fmt.Println("the holder learns it:", errors.Is(ma.Renew(ctx), lmc.ErrLeaseRevoked))
		return nil
	})
	// Output:
	// reread: added [LMC-0002], 0 leases revoked; USER count 8
	// handle 1: MA4000 holds 5 of 8 USER seats
	// the holder learns it: true
}

// An application keeps its seats with KeepAlive instead of a renewal loop of its own, and stops it
// with its context when it is done; a loss (a revocation, the LMC gone for longer than the TTL)
// would arrive on the channel. The methods of the nil lease a failed checkout returns answer with
// an error.
func ExampleLease_KeepAlive() {
	withDir(func(dir string) error {
		ctx := context.Background()
		l, _, err := exampleLMC(ctx, dir, nil)
		if err != nil {
			return err
		}
		lease, err := l.Checkout(ctx, "CTI", "USER", 1)
		if err != nil {
			return err
		}
		work, stop := context.WithCancel(ctx)
		lost := lease.KeepAlive(work)
		// ... the application works; a value on lost means it must stop using the seat ...
		stop()
		fmt.Println("kept alive until stopped:", <-lost == nil)
		fmt.Println("release:", lease.Release(ctx))

		var failed *lmc.Lease // what a failed checkout returns
		fmt.Println("nil lease:", errors.Is(failed.Release(ctx), lmc.ErrBadRequest))
		return nil
	})
	// Output:
	// kept alive until stopped: true
	// release: <nil>
	// nil lease: true
}
