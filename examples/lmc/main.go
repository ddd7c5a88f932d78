// Command lmc shows the License Management Client at work on one machine: a PBX (an SV8500) answers
// the LMC's signed key-code challenge, the LMC binds to the PBX's LM code and installs the application
// license file issued for it, and two applications, MA4000 and BCT, share its seats over a unix
// socket. It runs in a temporary directory and ends by itself.
//
//	go run ./examples/lmc
//
// The keys are fixed test keys made from constant seeds so the run is repeatable; real keys never
// live in source (the vendor's signing key stays in the license server, the PBX's device key in the
// PBX). The part "USER" is an illustrative shared seat part, not a real part number; 390908 is the
// guide's "MA4000 Version 10 Lic".
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/license/lmc"
	"github.com/lmskit/lmskit/signing"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dir, err := os.MkdirTemp("", "lmskit-lmc")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// The PBX: an SV8500 whose firmware mounts the LMC handler, signing with its device key.
	pbxCode := keycode.MustParse(keycode.SV8500, "22CC538207AFD058020640CD57xO")
	deviceKey := testKey(9)
	pbxURL, stopPBX, err := startPBX(pbxCode, deviceKey)
	if err != nil {
		return err
	}
	defer stopPBX()
	fmt.Printf("PBX  %s %s answers at %s\n", pbxCode.System(), pbxCode, pbxURL)

	// The LMC: it trusts the vendor's public key and the PBX's pinned device key.
	vendor := testKey(1)
	kr := signing.NewKeyring()
	if err := kr.Add(vendor.Public().KeyID().Bytes(), vendor.Public(), signing.Window{}); err != nil {
		return err
	}
	l, err := lmc.Open(ctx, lmc.Config{
		Dir:     filepath.Join(dir, "lmc"),
		Source:  &lmc.PBXSource{URL: pbxURL, Key: deviceKey.Public()},
		Keyring: kr,
	})
	if err != nil {
		return err
	}
	st, _ := l.Status(ctx)
	fmt.Printf("LMC  read the PBX code (reachable: %v); its LMC code is %s\n", st.Reachable, st.Code)

	// The license server issues the application file for that LMC code; the LMC installs it.
	signed, err := issue(vendor, l.Code())
	if err != nil {
		return err
	}
	f, err := l.Install(signed)
	if err != nil {
		return err
	}
	fmt.Printf("LMC  installed %s: activation code %s\n", f.Serial, license.ActivationCode(signed))

	// One LMC serves every application on the machine.
	sock := filepath.Join(dir, "lmc.sock")
	ln, err := lmc.Listen("unix", sock)
	if err != nil {
		return err
	}
	srvCtx, stopServer := context.WithCancel(ctx)
	defer stopServer()
	served := make(chan error, 1)
	go func() { served <- lmc.NewServer(l).ServeContext(srvCtx, ln) }()
	go l.Run(srvCtx) // re-reads the PBX and watches fixed-term files

	ma, err := lmc.Dial(ctx, "unix", sock)
	if err != nil {
		return err
	}
	defer ma.Close()
	bct, err := lmc.Dial(ctx, "unix", sock)
	if err != nil {
		return err
	}
	defer bct.Close()

	v, err := ma.Version(ctx, "390908")
	if err != nil {
		return err
	}
	fmt.Printf("MA4000 is licensed up to version %d\n", v)
	maLease, err := ma.Checkout(ctx, "MA4000", "USER", 3)
	if err != nil {
		return err
	}
	fmt.Printf("MA4000 took %d seats\n", maLease.Seats())
	bctLease, err := bct.Checkout(ctx, "BCT", "USER", 2)
	if err != nil {
		return err
	}
	fmt.Printf("BCT    took %d seats\n", bctLease.Seats())
	if _, err := bct.Checkout(ctx, "BCT", "USER", 1); errors.Is(err, lmc.ErrNoSeats) {
		fmt.Printf("BCT    asked for one more: %v\n", err)
	} else {
		return fmt.Errorf("a sixth seat was not refused: %v", err)
	}
	if err := maLease.Release(ctx); err != nil {
		return err
	}
	fmt.Println("MA4000 released its seats")
	more, err := bct.Checkout(ctx, "BCT", "USER", 1)
	if err != nil {
		return err
	}
	fmt.Printf("BCT    took %d more seat\n", more.Seats())
	if err := bctLease.Renew(ctx); err != nil {
		return err
	}
	u, err := ma.Usage(ctx, "USER")
	if err != nil {
		return err
	}
	fmt.Printf("USER   %d of %d seats out:", u.InUse, u.Count)
	for _, h := range u.Holders {
		fmt.Printf(" %s %d (%d leases)", h.App, h.Seats, h.Leases)
	}
	fmt.Println()

	stopServer()
	if err := <-served; err != nil {
		return err
	}
	fmt.Println("LMC  shut down")
	return nil
}

// testKey is a fixed test key from a constant seed. Never do this with a real key.
func testKey(b byte) *signing.PrivateKey {
	k, err := signing.NewKeyFromSeed(bytes.Repeat([]byte{b}, signing.SeedSize))
	if err != nil {
		panic(err)
	}
	return k
}

// startPBX serves the PBX side of the key-code protocol on a loopback port.
func startPBX(code keycode.Code, key *signing.PrivateKey) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/lmc/hwkc", &lmc.PBXHandler{Code: func() keycode.Code { return code }, Key: key})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String() + "/lmc/hwkc", func() { srv.Close() }, nil
}

// issue plays the license server: a permanent file for the LMC location with MA4000 version 10 and
// five user seats that the applications share.
func issue(vendor *signing.PrivateKey, code keycode.Code) ([]byte, error) {
	f := &license.File{
		Serial: "LMC-0001",
		Issued: time.Now().Add(-time.Minute),
		Term:   license.Permanent,
		Host:   license.Host{System: keycode.LMC, Code: code},
		Lines: []license.Line{
			{Part: "390908", Name: "MA4000 Version 10 Lic", Kind: license.Version, Qty: 10},
			{Part: "USER", Name: "application user seat (illustrative)", Kind: license.Count, Qty: 5},
		},
	}
	return f.Sign(vendor)
}
