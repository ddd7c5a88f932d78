package license_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lmskit/lmskit/keycode"
	"github.com/lmskit/lmskit/license"
	"github.com/lmskit/lmskit/signing"
)

// The examples use a fixed test key made from a constant seed and a fixed clock. Real signing keys
// never live in source: load them from a PEM file or a key store.
var (
	exampleKey = mustKey(bytes.Repeat([]byte{0x42}, signing.SeedSize))
	exampleNow = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
)

// mustKey is the fixed test key of a seed; a seed of the wrong size is a mistake in the example.
func mustKey(seed []byte) *signing.PrivateKey {
	k, err := signing.NewKeyFromSeed(seed)
	if err != nil {
		panic(err)
	}
	return k
}

// exampleKeyring trusts the public half of key, as a device's firmware trusts the vendor's key.
func exampleKeyring(key *signing.PrivateKey) (*signing.Keyring, error) {
	kr := signing.NewKeyring()
	pub := key.Public()
	if err := kr.Add(pub.KeyID().Bytes(), pub, signing.Window{}); err != nil {
		return nil, err
	}
	return kr, nil
}

// The server signs a location's file; the PBX firmware opens its device on its state directory,
// installs the file, answers "may another IP terminal register?" from the grant and ticks. This is
// the package documentation's snippet, run with a fixed test key and a fixed clock: a firmware
// leaves Clock and Elapsed nil, and reads its secret from a protected place.
func Example() {
	if err := firstSteps(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// installed: licensed: BE107573=1 BE107576=on BE107582=5 BE107585=20
	// terminal 13 of 20: registered
	// a minute later: licensed: BE107573=1 BE107576=on BE107582=5 BE107585=20
}

// errNoTerminalLicense is what the example's call processing answers when the grant is used up.
var errNoTerminalLicense = errors.New("no license for another IP terminal")

func firstSteps() error {
	// The license server's side: the vendor key and the location's file.
	vendorKey, file := exampleKey, exampleFile()

	// The PBX's side: what the firmware holds and reads.
	vendorKeys, err := exampleKeyring(vendorKey)
	if err != nil {
		return err
	}
	host := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	data, err := os.MkdirTemp("", "lmskit-example") // the PBX's data partition
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	stateDir := filepath.Join(data, "license")
	firmwareSecret := []byte("example firmware secret, 32 byte")
	buildTime := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	now, up := exampleNow.Add(time.Hour), time.Duration(0)
	clock := func() time.Time { return now }
	uptime := func() time.Duration { return up }
	registered := 12 // IP terminals registered so far

	// On the license server: sign the location's file with the vendor key.
	signed, err := file.Sign(vendorKey)
	if err != nil {
		return err
	}

	// On the PBX, at start-up.
	dev, err := license.OpenDevice(license.DeviceConfig{
		Host:              host,                       // the system and key code the PBX reads
		Keyring:           vendorKeys,                 // the vendor's public keys, in the firmware
		State:             license.DirState(stateDir), // "/data/license"; see also SplitState
		Secret:            firmwareSecret,             // 16 bytes or more, never beside the state
		EarliestPlausible: buildTime,                  // the firmware's build time
		Clock:             clock,                      // nil in a firmware: time.Now
		Elapsed:           uptime,                     // nil in a firmware: Go's monotonic clock
	})
	if err != nil {
		return err
	}
	if err := dev.Install(signed); err != nil { // or its armored text, or the <HWKC>-svi.zip
		return err
	}
	fmt.Println("installed:", dev.Grant())

	// Call processing, for each IP terminal that registers: one atomic load and one map lookup.
	if registered >= dev.Grant().Count("BE107585") { // LK-SYS-IP-TERMINAL-1-LIC
		return errNoTerminalLicense
	}
	registered++
	fmt.Printf("terminal %d of %d: registered\n", registered, dev.Grant().Count("BE107585"))

	// From a timer: at least once a minute, and at Grant().Until().
	now, up = now.Add(time.Minute), up+time.Minute
	if err := dev.Tick(); err != nil {
		return err // device time could not be saved; the next Tick tries again
	}
	fmt.Println("a minute later:", dev.Grant())
	return nil
}

// exampleFile is the guide's SV8100 location with its four activated lines.
func exampleFile() *license.File {
	act := time.Date(2012, 12, 28, 0, 0, 0, 0, time.UTC)
	return &license.File{
		Serial: "LMS-0001",
		Issued: exampleNow,
		Term:   license.Permanent,
		Host:   license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")},
		Lines: []license.Line{
			{SKC: "HV19BBXB9E9CVDK52N0W", Part: "BE107573", Name: "LK-SYS-256 PORT LIC", Kind: license.Count, Qty: 1, Activated: act},
			{SKC: "AA19MXCH1TN7A43ML65B", Part: "BE107582", Name: "LK-SYS-IP-TRUNK1-LIC", Kind: license.Count, Qty: 5, Activated: act},
			{SKC: "1V191JTEBJGFV57KNTE9", Part: "BE107576", Name: "LK-SYS-SMDR-LIC SMDR License", Kind: license.Flag, Qty: 1, Activated: act},
			{SKC: "N81964JPN9E6JNFAFA2V", Part: "BE107585", Name: "LK-SYS-IP-TERMINAL-1-LIC", Kind: license.Count, Qty: 20, Activated: act},
		},
	}
}

// Issuing a file on the server: sign it, then hand out the download container and the
// activation code.
func ExampleFile_Sign() {
	signed, err := exampleFile().Sign(exampleKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	name, zip, err := license.SVIZip(signed)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("download:", name, len(zip) > 0)
	fmt.Println("activation code:", license.ActivationCode(signed))
	// Output:
	// download: 191000343919-svi.zip true
	// activation code: 9763-3530-2633-2170
}

// Checking a file on a device: read it out of its container, verify it against the trusted
// vendor keys, check it against what the device observes of itself, and stack what it grants.
func ExampleOpen() {
	signed, err := exampleFile().Sign(exampleKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	_, zip, err := license.SVIZip(signed)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The device trusts the vendor's public key (shipped with the firmware).
	kr, err := exampleKeyring(exampleKey)
	if err != nil {
		fmt.Println(err)
		return
	}

	raw, err := license.ReadSVIZip(zip)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := license.Open(raw, kr)
	if err != nil {
		fmt.Println(err)
		return
	}
	observed := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "191000343919")}
	if err := f.Check(observed, exampleNow); err != nil {
		fmt.Println(err)
		return
	}
	set, err := f.Set()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Serial, f.Term, set)

	// The same file on another CPU board is refused.
	other := license.Host{System: keycode.SV8100, Code: keycode.MustParse(keycode.SV8100, "190400324412")}
	err = f.Check(other, exampleNow)
	fmt.Println(errors.Is(err, license.ErrHostMismatch))
	// Output:
	// LMS-0001 permanent BE107573=1 BE107576=on BE107582=5 BE107585=20
	// true
}

// Stacking follows the guide: quantities add up, the highest version wins.
func ExampleStack() {
	var lines []license.Line
	for range 5 {
		lines = append(lines, license.Line{Part: "BE107585", Kind: license.Count, Qty: 20})
	}
	lines = append(lines,
		license.Line{Part: "BE107585", Kind: license.Count, Qty: 20},
		license.Line{Part: "390908", Kind: license.Version, Qty: 3},
		license.Line{Part: "390908", Kind: license.Version, Qty: 4},
		license.Line{Part: "390908", Kind: license.Version, Qty: 6},
	)
	s, err := license.Stack(lines...)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Count("BE107585"), s.Version("390908"))
	// Output: 120 6
}

// A support call reads the activation code back; a mistyped digit is caught.
func ExampleParseActivationCode() {
	signed, err := exampleFile().Sign(exampleKey)
	if err != nil {
		fmt.Println(err)
		return
	}
	code := license.ActivationCode(signed)
	a, err := license.ParseActivationCode(code)
	fmt.Println(err == nil && a.Matches(signed))
	typo := code[:3] + string('0'+(code[3]-'0'+1)%10) + code[4:]
	_, err = license.ParseActivationCode(typo)
	fmt.Println(err != nil)
	// Output:
	// true
	// true
}

// A fixed-term file checked after its end.
func ExampleFile_Check() {
	f := exampleFile()
	f.Term, f.NotAfter = license.Demo, exampleNow.Add(30*24*time.Hour)
	err := f.Check(f.Host, exampleNow.Add(31*24*time.Hour))
	fmt.Println(errors.Is(err, license.ErrExpired))
	fmt.Println(err)
	// Output:
	// true
	// license: expired: valid until 2026-03-31T09:30:00Z, now 2026-04-01T09:30:00Z
}
